"""The ForceManager API v4 under /api/v4: routing, sessions, rate limit, faults, then the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandboxes.forcemanager.bulk import bulk_create, bulk_delete, bulk_update
from sandboxes.forcemanager.errors import SandboxError, bad_request
from sandboxes.forcemanager.fields import READ_ONLY_RESOURCES, RESOURCES
from sandboxes.forcemanager.store import clamp_page_size
from sandboxes.forcemanager.valuelists import VALUE_LISTS
from sandboxes.forcemanager.wire import (
    BASE_PATH,
    error_response,
    id_param,
    int_param,
    read_json,
    resource_of,
)

if TYPE_CHECKING:
    from sandboxes.forcemanager import ForceManagerSandbox

logger = logging.getLogger(__name__)

SESSION_HEADER = "x-session-key"

Handler = Callable[[Request, "ForceManagerSandbox"], Awaitable[Any]]


class Route:
    """What one request asks for, decided from the path and method before anything runs."""

    def __init__(self, kind: str, handler: Handler, needs_session: bool = True) -> None:
        self.kind = kind
        self.handler = handler
        self.needs_session = needs_session


def resolve(method: str, path: str) -> Route:
    parts = [p for p in path.split("/") if p]

    def route(kind: str, handlers: dict[str, Handler], **kw: Any) -> Route:
        if method not in handlers:
            raise SandboxError(
                405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}; use "
                + ", ".join(handlers)
            )
        return Route(kind, handlers[method], **kw)

    if parts == ["login"]:
        return route("login", {"POST": login}, needs_session=False)
    if len(parts) == 1 and parts[0] in VALUE_LISTS:
        return route(f"valuelist {parts[0]}", {"GET": value_list})
    if len(parts) == 2 and parts[0] == "extrafields" and parts[1] in RESOURCES:
        method_kind = "extrafields_create" if method == "POST" else "extrafields_list"
        return route(f"{method_kind} {parts[1]}",
                     {"GET": list_extra_fields, "POST": create_extra_field})
    if parts and parts[0] in RESOURCES:
        resource = parts[0]
        writable = resource not in READ_ONLY_RESOURCES
        if len(parts) == 1:
            kind = "create" if method == "POST" else "list"
            handlers: dict[str, Handler] = {"GET": list_records}
            if writable:
                handlers["POST"] = create_record
            return route(f"{kind} {resource}", handlers)
        if len(parts) == 2 and parts[1] == "schema":
            return route(f"schema {resource}", {"GET": schema})
        if len(parts) == 2 and parts[1] == "bulk" and writable:
            kind = {"POST": "bulk_create", "PUT": "bulk_update", "DELETE": "bulk_delete"}
            return route(f"{kind.get(method, 'bulk')} {resource}",
                         {"POST": bulk_create, "PUT": bulk_update, "DELETE": bulk_delete})
        if len(parts) == 2:
            kind = {"GET": "get", "PUT": "update", "DELETE": "delete"}.get(method, "get")
            handlers = {"GET": get_record}
            if writable:
                handlers |= {"PUT": update_record, "DELETE": delete_record}
            return route(f"{kind} {resource}", handlers)
    raise SandboxError(404, "NOT_FOUND", f"there is no endpoint {method} {BASE_PATH}{path}")


async def dispatch(request: Request) -> Response:
    sandbox: ForceManagerSandbox = request.app.state.sandbox
    path = request.url.path[len(BASE_PATH):] or "/"
    failure: SandboxError | None = None
    try:
        try:
            route = resolve(request.method, path)
        except SandboxError:
            sandbox.counters.count(f"unknown {request.method}")
            raise
        sandbox.counters.count(route.kind)
        if sandbox.faults.latency:
            await asyncio.sleep(sandbox.faults.latency)
        credential = sandbox.sessions.credential_of(request.headers.get(SESSION_HEADER))
        client = request.client.host if request.client else "unknown"
        if not sandbox.limiter.allow(credential or f"address {client}"):
            sandbox.counters.outcome("refused")
            raise SandboxError(
                429, "RATE_LIMIT_EXCEEDED",
                f"more than {sandbox.limiter.rate:g} requests a second; slow down",
            )
        if not sandbox.allowance.spend():
            sandbox.counters.outcome("quota")
            raise SandboxError(
                403, "API_LIMIT_EXCEEDED", "the API call allowance is spent; try again later"
            )
        failure = sandbox.faults.failure_for(path)
        if failure is not None:
            sandbox.counters.outcome("faults")
            raise failure
        if route.needs_session and credential is None:
            sandbox.counters.outcome("unauthorized")
            message = ("the session has expired or is unknown; log in again"
                       if request.headers.get(SESSION_HEADER) else
                       "missing X-Session-Key header; POST /login first")
            raise SandboxError(401, "INVALID_SESSION", message)
        result = await route.handler(request, sandbox)
    except SandboxError as exc:
        if exc is not failure and exc.status < 500 and exc.status not in (401, 403, 429):
            sandbox.counters.outcome("errors")
        return error_response(exc)
    except Exception:
        # A sandbox bug must still answer like the API would, not with a traceback.
        logger.exception("ForceManager sandbox failed on %s %s", request.method, path)
        return error_response(SandboxError(500, "INTERNAL_ERROR", "unexpected server error"))
    if isinstance(result, Response):
        return result
    return JSONResponse(result)


# -- handlers ------------------------------------------------------------------------------------


async def login(request: Request, sandbox: ForceManagerSandbox) -> Any:
    body = await read_json(request)
    if not isinstance(body, dict) or "username" not in body or "password" not in body:
        raise bad_request("INVALID_BODY", 'send {"username": publicKey, "password": privateKey}')
    return {"token": sandbox.sessions.login(body["username"], body["password"])}


async def list_records(request: Request, sandbox: ForceManagerSandbox) -> Response:
    params = request.query_params
    page = int_param(params.get("page"), "page", 0) or 0
    asked = int_param(params.get("count") or request.headers.get("count"), "count", 1)
    count = clamp_page_size(asked)
    rows = sandbox.store.query(
        resource_of(request), where=params.get("where"), order=params.get("order"),
        page=page, count=count,
    )
    return JSONResponse(rows, headers={"count": str(count)})


async def get_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    record_id = id_param(request.url.path.rsplit("/", 1)[1])
    return sandbox.store.get(resource_of(request), record_id)


async def create_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    body = await read_json(request)
    new_id = sandbox.store.create(resource_of(request), body, user_id=sandbox.store.api_user_id)
    return {"Message": "entity created", "id": new_id}


async def update_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    record_id = id_param(request.url.path.rsplit("/", 1)[1])
    body = await read_json(request)
    sandbox.store.update(resource_of(request), record_id, body, user_id=sandbox.store.api_user_id)
    return {"Message": "entity updated"}


async def delete_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    record_id = id_param(request.url.path.rsplit("/", 1)[1])
    sandbox.store.delete(resource_of(request), record_id, user_id=sandbox.store.api_user_id)
    return {"Message": "entity deleted"}


async def value_list(request: Request, sandbox: ForceManagerSandbox) -> Any:
    name = request.url.path[len(BASE_PATH):].strip("/")
    return sandbox.store.value_lists.get(name, [])


async def list_extra_fields(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource = request.url.path.rsplit("/", 1)[1]
    return list(sandbox.store.extra_fields[resource].values())


async def create_extra_field(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource = request.url.path.rsplit("/", 1)[1]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("INVALID_BODY", "send {fieldName, type, label?, values?}")
    unknown = set(body) - {"fieldName", "type", "label", "values"}
    if unknown:
        raise bad_request("INVALID_FIELD", f"unknown keys {sorted(unknown)}", sorted(unknown))
    for key in ("fieldName", "type"):
        if key not in body:
            raise bad_request("REQUIRED_FIELD_MISSING", f"{key} is required", [key])
    created = sandbox.store.add_extra_field(
        resource, body["fieldName"], body["type"], body.get("label"), body.get("values")
    )
    return {"Message": "entity created", "id": created["id"]}


async def schema(request: Request, sandbox: ForceManagerSandbox) -> Any:
    return sandbox.store.schema(resource_of(request))
