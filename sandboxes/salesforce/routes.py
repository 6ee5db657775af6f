"""Which handler answers which /services/data path, and the dispatch Composite reuses."""

from __future__ import annotations

from sandboxes.salesforce import bulk, collections, composite, rest
from sandboxes.salesforce.api import ApiFailure, ApiRequest, ApiResponse, Router
from sandboxes.salesforce.state import SandboxState


def build_router() -> Router:
    r = Router()
    r.add("GET", "", rest.resources, "resources")
    r.add("GET", "/sobjects", rest.global_describe, "describeGlobal")
    r.add("GET", "/sobjects/{name}", rest.sobject_info, "describe")
    r.add("POST", "/sobjects/{name}", rest.create, "sobject")
    r.add("GET", "/sobjects/{name}/describe", rest.describe, "describe")
    r.add("GET", "/sobjects/{name}/updated", rest.updated, "updated")
    r.add("GET", "/sobjects/{name}/deleted", rest.deleted, "deleted")
    r.add("GET", "/sobjects/{name}/{id}", rest.get_record, "sobject")
    r.add("PATCH", "/sobjects/{name}/{id}", rest.update_record, "sobject")
    r.add("DELETE", "/sobjects/{name}/{id}", rest.delete_record, "sobject")
    r.add("GET", "/query", rest.query, "query")
    r.add("GET", "/queryAll", rest.query_all, "queryAll")
    r.add("GET", "/query/{locator}", rest.query_more, "queryMore")
    r.add("GET", "/queryAll/{locator}", rest.query_more, "queryMore")
    r.add("GET", "/limits", rest.limits, "limits")
    r.add("POST", "/composite/sobjects", collections.create, "sobject-collections")
    r.add("PATCH", "/composite/sobjects", collections.update, "sobject-collections")
    r.add("DELETE", "/composite/sobjects", collections.delete, "sobject-collections")
    r.add("GET", "/composite/sobjects/{name}", collections.retrieve, "sobject-collections")
    r.add("POST", "/composite", composite.composite, "composite")
    r.add("POST", "/jobs/query", bulk.create_job, "bulk")
    r.add("GET", "/jobs/query", bulk.list_jobs, "bulk")
    r.add("GET", "/jobs/query/{job_id}", bulk.get_job, "bulk")
    r.add("PATCH", "/jobs/query/{job_id}", bulk.abort_job, "bulk")
    r.add("DELETE", "/jobs/query/{job_id}", bulk.delete_job, "bulk")
    r.add("GET", "/jobs/query/{job_id}/results", bulk.results, "bulk")
    return r


ROUTER = build_router()


def kind_of(method: str, path: str) -> str:
    try:
        return ROUTER.match(method, path)[2]
    except ApiFailure:
        return "other"


async def dispatch(state: SandboxState, req: ApiRequest) -> ApiResponse:
    try:
        handler, params, _ = ROUTER.match(req.method, req.path)
        return await handler(state, req, **params)
    except ApiFailure as exc:
        return exc.response()
