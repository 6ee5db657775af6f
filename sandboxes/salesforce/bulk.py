"""Bulk API 2.0 query jobs: create, poll, read CSV results in Sforce-Locator pages."""

from __future__ import annotations

import base64
import csv
import io
import secrets
from typing import Any

from sandboxes.salesforce import engine, soql
from sandboxes.salesforce.api import ApiFailure, ApiRequest, ApiResponse, not_found
from sandboxes.salesforce.state import SandboxState

DEFAULT_MAX_RECORDS = 50_000
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
_PUBLIC = ("id", "operation", "object", "createdById", "createdDate", "systemModstamp",
           "state", "concurrencyMode", "contentType", "apiVersion", "lineEnding",
           "columnDelimiter")


def _invalid(message: str) -> ApiFailure:
    return ApiFailure(400, "INVALIDJOB", message)


async def create_job(state: SandboxState, req: ApiRequest) -> ApiResponse:
    body = req.json()
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object")
    operation = body.get("operation")
    if operation not in ("query", "queryAll"):
        raise _invalid(f"Invalid operation: {operation}; use query or queryAll")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise _invalid("A query is required")
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if delimiter not in DELIMITERS:
        raise _invalid(f"Invalid columnDelimiter: {delimiter}")
    if line_ending not in LINE_ENDINGS:
        raise _invalid(f"Invalid lineEnding: {line_ending}")
    if body.get("contentType", "CSV") != "CSV":
        raise _invalid("Only CSV is supported as contentType")
    try:
        query = soql.parse(text)
    except soql.SoqlError as exc:
        raise ApiFailure(400, exc.code, exc.message) from exc
    if query.is_count:
        raise _invalid("Aggregate queries are not supported by Bulk API 2.0")
    table = state.store.table(query.sobject.name)
    ids, _ = engine.run(query, table, include_deleted=operation == "queryAll")
    now = state.store.now()
    job_id = "750" + secrets.token_hex(8)[:12].upper() + "AAA"
    job = {
        "id": job_id,
        "operation": operation,
        "object": query.sobject.name,
        "createdById": req.user_id,
        "createdDate": now,
        "systemModstamp": now,
        "state": "UploadComplete",
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": float(req.version),
        "lineEnding": line_ending,
        "columnDelimiter": delimiter,
        "_ids": ids,
        "_fields": query.fields,
        "_polls_left": state.faults.bulk_polls,
        "_fails": state.faults.bulk_fail > 0,
    }
    if job["_fails"]:
        state.faults.bulk_fail -= 1
    state.jobs[job_id] = job
    return ApiResponse(200, _public(job))


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {k: job[k] for k in _PUBLIC}


def _job(state: SandboxState, job_id: str) -> dict[str, Any]:
    job = state.jobs.get(job_id)
    if job is None:
        raise not_found()
    return job


async def get_job(state: SandboxState, req: ApiRequest, job_id: str) -> ApiResponse:
    job = _job(state, job_id)
    if job["state"] in ("UploadComplete", "InProgress"):
        # The sandbox runs the query when the job is created: it is done at the first poll,
        # unless the bulk_polls fault asks for some InProgress answers first.
        if job["_polls_left"] > 0:
            job["_polls_left"] -= 1
            job["state"] = "InProgress"
        else:
            job["state"] = "Failed" if job["_fails"] else "JobComplete"
        job["systemModstamp"] = state.store.now()
    answer = _public(job)
    if job["state"] == "Failed":
        answer["errorMessage"] = "InternalServerError: the sandbox failed this job on request"

    answer.update(
        jobType="V2Query",
        numberRecordsProcessed=len(job["_ids"]) if job["state"] == "JobComplete" else 0,
        retries=0,
        totalProcessingTime=1,
        isPkChunkingSupported=True,
    )
    return ApiResponse(200, answer)


async def list_jobs(state: SandboxState, req: ApiRequest) -> ApiResponse:
    records = [_public(job) for job in state.jobs.values()]
    return ApiResponse(200, {"done": True, "records": records, "nextRecordsUrl": None})


async def abort_job(state: SandboxState, req: ApiRequest, job_id: str) -> ApiResponse:
    job = _job(state, job_id)
    body = req.json()
    if not isinstance(body, dict) or body.get("state") != "Aborted":
        raise _invalid("Only state Aborted can be set on a query job")
    if job["state"] == "JobComplete":
        raise _invalid("Cannot abort a job that is already complete")
    job["state"] = "Aborted"
    return ApiResponse(200, _public(job))


async def delete_job(state: SandboxState, req: ApiRequest, job_id: str) -> ApiResponse:
    _job(state, job_id)
    del state.jobs[job_id]
    return ApiResponse(204)


async def results(state: SandboxState, req: ApiRequest, job_id: str) -> ApiResponse:
    job = _job(state, job_id)
    if job["state"] != "JobComplete":
        raise _invalid(f"The job is {job['state']}, results are only available when complete")
    raw_max = req.query.get("maxRecords", str(DEFAULT_MAX_RECORDS))
    if not raw_max.isdigit() or int(raw_max) < 1:
        raise _invalid(f"maxRecords must be a positive integer: {raw_max}")
    offset = _offset(req.query.get("locator"), len(job["_ids"]))
    chunk = job["_ids"][offset : offset + int(raw_max)]
    table = state.store.table(job["object"])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITERS[job["columnDelimiter"]],
                        lineterminator=LINE_ENDINGS[job["lineEnding"]], quoting=csv.QUOTE_ALL)
    writer.writerow(job["_fields"])
    pos = [table.sobject.positions[name] for name in job["_fields"]]
    for row_id in chunk:
        row = table.rows[row_id]
        writer.writerow([_csv_value(row[p]) for p in pos])
    end = offset + len(chunk)
    locator = _encode(end) if end < len(job["_ids"]) else "null"
    return ApiResponse(
        200, out.getvalue(),
        {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(chunk))},
        media_type="text/csv",
    )


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encode(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str | None, total: int) -> int:
    if not locator or locator == "null":
        return 0
    try:
        offset = int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except ValueError:
        offset = -1
    if not 0 <= offset <= total:
        raise ApiFailure(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
    return offset
