"""The admin surface under /_sandbox: look at and edit data as a person would, reset and reseed,
faults, sessions, rate limit, counters and people-at-work. JSON in and out; not rate-limited
and not counted as API calls."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.forcemanager.errors import SandboxError, bad_request
from sandboxes.forcemanager.seed import Sizes
from sandboxes.forcemanager.store import clamp_page_size
from sandboxes.forcemanager.wire import error_response, id_param, int_param, read_json

if TYPE_CHECKING:
    from sandboxes.forcemanager import ForceManagerSandbox


logger = logging.getLogger(__name__)


def _sandbox(request: Request) -> ForceManagerSandbox:
    return request.app.state.sandbox


def endpoint(func: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            result = await func(request, _sandbox(request))
        except SandboxError as exc:
            return error_response(exc)
        except Exception:
            logger.exception("ForceManager sandbox admin failed on %s", request.url.path)
            return error_response(SandboxError(500, "INTERNAL_ERROR", "unexpected server error"))
        return result if isinstance(result, Response) else JSONResponse(result)

    return wrapped


async def overview(request: Request, sandbox: ForceManagerSandbox) -> Any:
    return {
        "api": "/api/v4",
        "public_keys": list(sandbox.sessions.credentials),
        "seed": sandbox.seed,
        "records": sandbox.store.summary(),
        "rate_limit": sandbox.limiter.rate,
        "allowance": sandbox.allowance.remaining,
        "faults": sandbox.faults.describe(),
        "activity": sandbox.activity.describe(),
    }


async def list_records(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource = request.path_params["resource"]
    params = request.query_params
    page = int_param(params.get("page"), "page", 0) or 0
    count = clamp_page_size(int_param(params.get("count"), "count", 1))
    where, order = params.get("where"), params.get("order")
    records = sandbox.store.query(resource, where=where, order=order, page=page, count=count)
    return {"total": sandbox.store.count(resource, where), "page": page, "count": count,
            "records": records}


async def get_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    record_id = id_param(request.path_params["id"])
    return sandbox.store.get(request.path_params["resource"], record_id)


def _as_user(request: Request, sandbox: ForceManagerSandbox) -> int | None:
    """The person making the change (?as=userId); default: the first user."""
    user = int_param(request.query_params.get("as"), "as", 1)
    if user is not None and not sandbox.store.reference_exists("users", user):
        raise bad_request("INVALID_REFERENCE", f"user {user} does not exist")
    return user or sandbox.store.api_user_id


async def create_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource = request.path_params["resource"]
    body = await read_json(request)
    new_id = sandbox.store.create(resource, body, user_id=_as_user(request, sandbox))
    return JSONResponse(sandbox.store.get(resource, new_id), status_code=201)


async def edit_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource, record_id = request.path_params["resource"], id_param(request.path_params["id"])
    body = await read_json(request)
    user = _as_user(request, sandbox)
    if isinstance(body, dict) and body.get("deleted") is False:
        # A person restoring a record from ForceManager's recycle bin.
        body = {k: v for k, v in body.items() if k != "deleted"}
        with sandbox.store.lock:
            sandbox.store.get(resource, record_id)
            if body:
                sandbox.store.update(resource, record_id, body, user_id=user, allow_deleted=True)
            sandbox.store.restore(resource, record_id)
    else:
        sandbox.store.update(resource, record_id, body, user_id=user)
    return sandbox.store.get(resource, record_id)


async def delete_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource, record_id = request.path_params["resource"], id_param(request.path_params["id"])
    sandbox.store.delete(resource, record_id, user_id=_as_user(request, sandbox))
    return sandbox.store.get(resource, record_id)


async def value_list(request: Request, sandbox: ForceManagerSandbox) -> Any:
    name = request.path_params["name"]
    if name not in sandbox.store.value_lists:
        raise SandboxError(404, "NOT_FOUND", f"there is no value list {name!r}")
    return sandbox.store.value_lists[name]


async def extra_fields(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource = request.path_params["resource"]
    sandbox.store.check_resource(resource)
    if request.method == "GET":
        return list(sandbox.store.extra_fields[resource].values())
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("INVALID_BODY", "send {fieldName, type, label?, values?}")
    return sandbox.store.add_extra_field(
        resource, body.get("fieldName"), body.get("type"), body.get("label"), body.get("values")
    )


_SIZE_KEYS = {"accounts", "contacts", "opportunities", "activities", "products",
              "salesorders", "users", "deleted_share"}


async def reset(request: Request, sandbox: ForceManagerSandbox) -> Any:
    """Back to freshly seeded data: {"seed"?, "accounts"?, "contacts"?, …}; empty body = same."""
    raw = await request.body()
    body = await read_json(request) if raw.strip() else {}
    if not isinstance(body, dict):
        raise bad_request("INVALID_BODY", "send {seed?, accounts?, contacts?, …}")
    unknown = set(body) - _SIZE_KEYS - {"seed"}
    if unknown:
        raise bad_request("INVALID_FIELD", f"unknown reset settings {sorted(unknown)}")
    for key, value in body.items():
        if key == "deleted_share":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise bad_request("INVALID_VALUE", "deleted_share must be within [0, 1]")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad_request("INVALID_VALUE", f"{key} must be an integer >= 0")
    seed = body.pop("seed", sandbox.seed)
    sizes = Sizes(**body) if body else sandbox.sizes
    sandbox.reset(seed=seed, sizes=sizes)
    return {"seed": sandbox.seed, "records": sandbox.store.summary()}


async def counters(request: Request, sandbox: ForceManagerSandbox) -> Any:
    if request.method in ("DELETE", "POST"):
        sandbox.counters.reset()
    return sandbox.counters.snapshot()


async def faults(request: Request, sandbox: ForceManagerSandbox) -> Any:
    """POST {"latency"?: s, "fail"?: {status, error?, message?, path_prefix?, count|share}}."""
    if request.method == "DELETE":
        sandbox.faults.clear()
    elif request.method == "POST":
        body = await read_json(request)
        if not isinstance(body, dict) or not body or set(body) - {"latency", "fail"}:
            raise bad_request("INVALID_BODY", 'send {"latency": seconds} and/or {"fail": {…}}')
        if "latency" in body:
            sandbox.faults.set_latency(body["latency"])
        if "fail" in body:
            sandbox.faults.add(body["fail"])
    return sandbox.faults.describe()


async def expire_sessions(request: Request, sandbox: ForceManagerSandbox) -> Any:
    return {"expired": sandbox.sessions.expire_all()}


async def rate_limit(request: Request, sandbox: ForceManagerSandbox) -> Any:
    if request.method in ("PUT", "POST"):
        body = await read_json(request)
        if not isinstance(body, dict) or "rate" not in body:
            raise bad_request("INVALID_BODY", 'send {"rate": requests per second, or null}')
        sandbox.limiter.rate = body["rate"]
    return {"rate": sandbox.limiter.rate}


async def allowance(request: Request, sandbox: ForceManagerSandbox) -> Any:
    """PUT {"remaining": N} leaves N API calls, then 403 API_LIMIT_EXCEEDED; null: no limit."""
    if request.method in ("PUT", "POST"):
        body = await read_json(request)
        if not isinstance(body, dict) or "remaining" not in body:
            raise bad_request("INVALID_BODY", 'send {"remaining": calls left, or null}')
        sandbox.allowance.set(body["remaining"])
    return {"remaining": sandbox.allowance.remaining}


async def activity(request: Request, sandbox: ForceManagerSandbox) -> Any:
    """POST {"interval": seconds, "resources"?: [...]} starts people at work; DELETE stops."""
    if request.method == "DELETE":
        sandbox.activity.stop()
    elif request.method == "POST":
        body = await read_json(request)
        interval = body.get("interval") if isinstance(body, dict) else None
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
            raise bad_request("INVALID_VALUE", "interval must be a number of seconds > 0")
        resources = body.get("resources")
        if resources is not None:
            if not isinstance(resources, list) or not resources:
                raise bad_request("INVALID_VALUE", "resources must be a non-empty array")
            for name in resources:
                sandbox.store.check_resource(name)
        sandbox.activity.start(float(interval), resources)
    return sandbox.activity.describe()


routes = [
    Route("/", endpoint(overview)),
    Route("/records/{resource}", endpoint(list_records), methods=["GET"]),
    Route("/records/{resource}", endpoint(create_record), methods=["POST"]),
    Route("/records/{resource}/{id}", endpoint(get_record), methods=["GET"]),
    Route("/records/{resource}/{id}", endpoint(edit_record), methods=["PUT", "PATCH"]),
    Route("/records/{resource}/{id}", endpoint(delete_record), methods=["DELETE"]),
    Route("/valuelists/{name}", endpoint(value_list)),
    Route("/extrafields/{resource}", endpoint(extra_fields), methods=["GET", "POST"]),
    Route("/reset", endpoint(reset), methods=["POST"]),
    Route("/counters", endpoint(counters), methods=["GET", "DELETE"]),
    Route("/counters/reset", endpoint(counters), methods=["POST"]),
    Route("/faults", endpoint(faults), methods=["GET", "POST", "DELETE"]),
    Route("/sessions/expire", endpoint(expire_sessions), methods=["POST"]),
    Route("/rate-limit", endpoint(rate_limit), methods=["GET", "PUT", "POST"]),
    Route("/allowance", endpoint(allowance), methods=["GET", "PUT", "POST"]),
    Route("/activity", endpoint(activity), methods=["GET", "POST", "DELETE"]),
]
