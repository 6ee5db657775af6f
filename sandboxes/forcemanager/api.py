"""The ForceManager API v4 under /api/v4: routing, sessions, rate limit, faults, then the store."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandboxes.forcemanager.errors import SandboxError, bad_request
from sandboxes.forcemanager.fields import READ_ONLY_RESOURCES, RESOURCES
from sandboxes.forcemanager.store import clamp_page_size
from sandboxes.forcemanager.valuelists import VALUE_LISTS

if TYPE_CHECKING:
    from sandboxes.forcemanager import ForceManagerSandbox

logger = logging.getLogger(__name__)

BASE_PATH = "/api/v4"
MAX_BULK = 200
SESSION_HEADER = "x-session-key"

Handler = Callable[[Request, "ForceManagerSandbox"], Awaitable[Any]]


def error_response(exc: SandboxError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise bad_request("INVALID_JSON", "the request needs a JSON body")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("INVALID_JSON", f"the body is not valid JSON: {exc}") from None


def _int_param(value: str | None, name: str, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_request(
            "INVALID_PARAMETER", f"{name} must be an integer, got {value!r}"
        ) from None
    if number < minimum:
        raise bad_request("INVALID_PARAMETER", f"{name} must be >= {minimum}, got {number}")
    return number


def _record_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request("INVALID_PARAMETER", f"the id must be an integer, got {text!r}") from None


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
        if exc.status < 500 and exc.status not in (401, 429):
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


def _resource(request: Request) -> str:
    return request.url.path[len(BASE_PATH):].split("/")[1]


async def list_records(request: Request, sandbox: ForceManagerSandbox) -> Response:
    params = request.query_params
    page = _int_param(params.get("page"), "page", 0) or 0
    asked = _int_param(params.get("count") or request.headers.get("count"), "count", 1)
    count = clamp_page_size(asked)
    rows = sandbox.store.query(
        _resource(request), where=params.get("where"), order=params.get("order"),
        page=page, count=count,
    )
    return JSONResponse(rows, headers={"count": str(count)})


async def get_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    record_id = _record_id(request.url.path.rsplit("/", 1)[1])
    return sandbox.store.get(_resource(request), record_id)


async def create_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    body = await read_json(request)
    new_id = sandbox.store.create(_resource(request), body, user_id=sandbox.store.api_user_id)
    return {"Message": "entity created", "id": new_id}


async def update_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    record_id = _record_id(request.url.path.rsplit("/", 1)[1])
    body = await read_json(request)
    sandbox.store.update(_resource(request), record_id, body, user_id=sandbox.store.api_user_id)
    return {"Message": "entity updated"}


async def delete_record(request: Request, sandbox: ForceManagerSandbox) -> Any:
    record_id = _record_id(request.url.path.rsplit("/", 1)[1])
    sandbox.store.delete(_resource(request), record_id, user_id=sandbox.store.api_user_id)
    return {"Message": "entity deleted"}


async def _bulk_items(request: Request) -> list[dict[str, Any]]:
    body = await read_json(request)
    if not isinstance(body, list) or not body:
        raise bad_request("INVALID_BODY", "a bulk body is a non-empty JSON array of {guid, data}")
    if len(body) > MAX_BULK:
        raise bad_request("LIMIT_EXCEEDED", f"at most {MAX_BULK} items a request, got {len(body)}")
    seen: set[str] = set()
    for n, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("guid"), str | int):
            raise bad_request("INVALID_BODY", f"item {n} needs a guid (string or number)")
        guid = str(item["guid"])
        if guid in seen:
            raise bad_request("INVALID_BODY", f"guid {guid!r} appears more than once")
        seen.add(guid)
    return body


def _item_result(item: dict[str, Any], action: Callable[[], int | None], message: str) -> dict:
    try:
        new_id = action()
    except SandboxError as exc:
        return {"guid": item["guid"], "success": False, "id": item.get("id"), "error": exc.error,
                "code": exc.status, "message": exc.message, "fields": exc.fields}
    return {"guid": item["guid"], "success": True, "id": new_id, "Message": message}


def _item_id(item: dict[str, Any]) -> int:
    data = item.get("data")
    record_id = item.get("id", data.get("id") if isinstance(data, dict) else None)
    if isinstance(record_id, bool) or not isinstance(record_id, int):
        raise bad_request("INVALID_BODY", "each item needs an integer id", ["id"])
    return record_id


async def bulk_create(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource, store = _resource(request), sandbox.store
    items = await _bulk_items(request)

    def create(item: dict[str, Any]) -> int:
        return store.create(resource, item.get("data"), user_id=store.api_user_id)

    return [_item_result(item, lambda i=item: create(i), "entity created") for item in items]


async def bulk_update(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource, store = _resource(request), sandbox.store
    items = await _bulk_items(request)

    def update(item: dict[str, Any]) -> int:
        record_id = _item_id(item)
        data = item.get("data")
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "id"}
        store.update(resource, record_id, data, user_id=store.api_user_id)
        return record_id

    return [_item_result(item, lambda i=item: update(i), "entity updated") for item in items]


async def bulk_delete(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource, store = _resource(request), sandbox.store
    items = await _bulk_items(request)

    def delete(item: dict[str, Any]) -> int:
        record_id = _item_id(item)
        store.delete(resource, record_id, user_id=store.api_user_id)
        return record_id

    return [_item_result(item, lambda i=item: delete(i), "entity deleted") for item in items]


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
    return sandbox.store.schema(_resource(request))
