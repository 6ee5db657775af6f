"""The admin surface under /_sandbox: look at and edit records as a person in the CRM would,
reset and reseed, set faults and the allowance, read counters, simulate people at work.
Plain JSON, no auth, not counted as API calls."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.salesforce import activity
from sandboxes.salesforce.schema import sobject
from sandboxes.salesforce.seed import SeedSizes, seed_store
from sandboxes.salesforce.state import FailRule, Faults, SandboxState
from sandboxes.salesforce.store import Store
from sandboxes.salesforce.values import normalize_id
from sandboxes.salesforce.writes import RecordError, clean

MAX_SIZE = 2_000_000  # per object: the data lives in this process's memory


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise AdminError(400, "JSON_PARSER_ERROR", f"The body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise AdminError(400, "JSON_PARSER_ERROR", "The body must be a JSON object")
    return body


def _handle(endpoint: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except AdminError as exc:
            return JSONResponse([{"message": exc.message, "errorCode": exc.code}], exc.status)
        except RecordError as exc:
            return JSONResponse([exc.as_api_error()], 400)

    return wrapped


def _int(body: dict[str, Any], key: str, default: int | None, minimum: int = 0) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AdminError(400, "INVALID_INPUT", f"{key} must be an integer >= {minimum}")
    return value


def _number(body: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise AdminError(400, "INVALID_INPUT", f"{key} must be a number in [{low}, {high}]")
    return float(value)


def _sobject_table(state: SandboxState, name: str) -> Any:
    sob = sobject(name)
    if sob is None:
        raise AdminError(404, "NOT_FOUND", f"Unknown object: {name}")
    return state.store.table(sob.name)


def _row(state: SandboxState, name: str, raw_id: str) -> tuple[Any, list[Any]]:
    table = _sobject_table(state, name)
    row_id = normalize_id(raw_id)
    row = table.rows.get(row_id) if row_id else None
    if row is None:
        raise AdminError(404, "NOT_FOUND", f"No {table.name} with id {raw_id}")
    return table, row


def _author(state: SandboxState, request: Request) -> str:
    raw = request.query_params.get("as_user")
    if raw is None:
        return state.store.admin_user_id
    user_id = normalize_id(raw)
    if user_id is None or user_id not in state.store.table("User").rows:
        raise AdminError(400, "INVALID_INPUT", f"as_user is not a User id: {raw}")
    return user_id


def summary(state: SandboxState) -> dict[str, Any]:
    return {
        "org_id": state.store.org_id,
        "admin_user_id": state.store.admin_user_id,
        "seed": state.seed,
        "sizes": asdict(state.sizes),
        "records": {n: t.count() for n, t in state.store.tables.items()},
        "deleted": {n: t.count(True) - t.count() for n, t in state.store.tables.items()},
        "api_usage": {"used": state.api_used, "limit": state.api_limit},
        "sessions": len(state.sessions),
        "activity": activity.status(state),
    }


async def index(request: Request) -> Response:
    return JSONResponse(summary(_state(request)))


async def list_records(request: Request) -> Response:
    state = _state(request)
    table = _sobject_table(state, request.path_params["sobject"])
    params = request.query_params
    try:
        limit = min(int(params.get("limit", "50")), 2000)
        offset = int(params.get("offset", "0"))
    except ValueError as exc:
        raise AdminError(400, "INVALID_INPUT", "limit and offset must be integers") from exc
    if limit < 0 or offset < 0:
        raise AdminError(400, "INVALID_INPUT", "limit and offset must not be negative")
    deleted = params.get("deleted", "false").lower() == "true"
    needle = params.get("q", "").strip().lower()
    name_pos = table.sobject.positions.get("Name", table.sobject.positions.get("Subject"))
    page: list[list[Any]] = []
    skipped = 0
    matched = 0
    for _, row_id in reversed(table.index):  # most recently changed first
        row = table.rows[row_id]
        if row[table.deleted_pos] and not deleted:
            continue
        if needle and (name_pos is None or needle not in (row[name_pos] or "").lower()):
            continue
        matched += 1
        if skipped < offset:
            skipped += 1
            continue
        if len(page) < limit:
            page.append(row)
        elif not needle:
            break
    total = matched if needle else table.count(include_deleted=deleted)
    return JSONResponse({"totalSize": total, "records": [table.as_dict(r) for r in page]})


async def get_record(request: Request) -> Response:
    state = _state(request)
    table, row = _row(state, request.path_params["sobject"], request.path_params["id"])
    return JSONResponse(table.as_dict(row))


async def create_record(request: Request) -> Response:
    state = _state(request)
    table = _sobject_table(state, request.path_params["sobject"])
    author = _author(state, request)
    values = clean(state.store, table.sobject, await _body(request), creating=True)
    row_id = state.store.insert(table.name, values, author)
    return JSONResponse({"id": row_id, "record": table.as_dict(table.rows[row_id])}, 201)


async def edit_record(request: Request) -> Response:
    state = _state(request)
    table, row = _row(state, request.path_params["sobject"], request.path_params["id"])
    if row[table.deleted_pos]:
        raise AdminError(400, "ENTITY_IS_DELETED", "entity is deleted")
    author = _author(state, request)
    values = clean(state.store, table.sobject, await _body(request), creating=False)
    state.store.update(row[table.id_pos], values, author)
    return JSONResponse(table.as_dict(table.rows[row[table.id_pos]]))


async def delete_record(request: Request) -> Response:
    state = _state(request)
    table, row = _row(state, request.path_params["sobject"], request.path_params["id"])
    if row[table.deleted_pos]:
        raise AdminError(400, "ENTITY_IS_DELETED", "entity is deleted")
    if table.name == "User":
        raise AdminError(400, "INVALID_INPUT", "Users cannot be deleted; set IsActive false")
    state.store.delete(row[table.id_pos], _author(state, request))
    return JSONResponse({"id": row[table.id_pos], "deleted": True})


def reseed(state: SandboxState, seed: int, sizes: SeedSizes) -> None:
    store = Store(clock=state.store.clock)
    seed_store(store, seed, sizes, store.clock())
    state.store = store
    state.seed, state.sizes = seed, sizes
    state.cursors.clear()
    state.jobs.clear()
    state.counters.clear()
    state.faults = Faults()
    state.api_used = 0


async def reset(request: Request) -> Response:
    state = _state(request)
    body = await _body(request)
    seed = _int(body, "seed", state.seed)
    keys = ("accounts", "contacts", "opportunities", "tasks", "events", "products", "users")
    current = asdict(state.sizes)
    sizes = SeedSizes(**{k: _int(body, k, current[k]) for k in keys})
    if sizes.users < 1:
        raise AdminError(400, "INVALID_INPUT", "users must be at least 1")
    if any((getattr(sizes, k) or 0) > MAX_SIZE for k in keys):
        raise AdminError(400, "INVALID_INPUT", f"sizes are limited to {MAX_SIZE:,} records")
    await activity.stop(state)
    reseed(state, seed or 0, sizes)
    return JSONResponse(summary(state))


async def faults(request: Request) -> Response:
    state = _state(request)
    if request.method == "DELETE":
        state.faults = Faults()
    elif request.method == "POST":
        _apply_faults(state.faults, await _body(request))
    return JSONResponse(state.faults.describe())


def _apply_faults(f: Faults, body: dict[str, Any]) -> None:
    """Check every knob first, then set them: a refused body changes nothing."""
    changes: dict[str, Any] = {}
    if "latency" in body:
        changes["latency"] = _number(body, "latency", 0.0, 0.0, 60.0)
    rule = None
    if "fail_next" in body:
        spec = _spec(body["fail_next"], "fail_next")
        code = _code(spec, "SERVER_UNAVAILABLE")
        rule = FailRule(
            count=_int(spec, "count", 1, 1) or 1,
            status=_status(spec),
            error_code=code,
            message=str(spec.get("message") or f"{code}: injected by the sandbox"),
            path_prefix=str(spec.get("path_prefix", "")),
        )
    if "fail_share" in body:
        spec = _spec(body["fail_share"], "fail_share")
        changes.update(
            fail_share=_number(spec, "ratio", 0.0, 0.0, 1.0),
            fail_share_status=_status(spec),
            fail_share_code=_code(spec, "SERVER_UNAVAILABLE"),
            fail_share_prefix=str(spec.get("path_prefix", "")),
        )
    if "record_errors" in body:
        spec = _spec(body["record_errors"], "record_errors")
        changes.update(record_errors=_int(spec, "count", 1) or 0,
                       record_error_code=_code(spec, "UNABLE_TO_LOCK_ROW"))
    for knob in ("bulk_polls", "bulk_fail"):
        if knob in body:
            changes[knob] = _int(body, knob, 0) or 0
    if "deny_authorization" in body:
        if not isinstance(body["deny_authorization"], bool):
            raise AdminError(400, "INVALID_INPUT", "deny_authorization must be true or false")
        changes["deny_authorization"] = body["deny_authorization"]
    for name, value in changes.items():
        setattr(f, name, value)
    if rule is not None:
        f.fail_next.append(rule)


def _spec(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AdminError(400, "INVALID_INPUT", f"{name} must be an object")
    return value


def _status(spec: dict[str, Any]) -> int:
    status = spec.get("status", 503)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise AdminError(400, "INVALID_INPUT", "status must be an HTTP error status (400-599)")
    return status


def _code(spec: dict[str, Any], default: str) -> str:
    code = spec.get("errorCode", default)
    if not isinstance(code, str) or not code:
        raise AdminError(400, "INVALID_INPUT", "errorCode must be a non-empty string")
    return code


async def expire_sessions(request: Request) -> Response:
    return JSONResponse({"expired": _state(request).expire_sessions()})


async def limits(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        body = await _body(request)
        limit = _int(body, "limit", state.api_limit)
        used = _int(body, "used", state.api_used)
        state.api_limit, state.api_used = limit or 0, used or 0
    return JSONResponse({"used": state.api_used, "limit": state.api_limit})


async def spend(request: Request) -> Response:
    state = _state(request)
    state.api_used = state.api_limit
    return JSONResponse({"used": state.api_used, "limit": state.api_limit})


async def counters(request: Request) -> Response:
    state = _state(request)
    if request.method in ("DELETE", "POST"):
        state.counters.clear()
    return JSONResponse(dict(state.counters))


async def people_at_work(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        body = await _body(request)
        interval = _number(body, "interval", 2.0, 0.01, 3600.0)
        await activity.start(state, interval, _int(body, "seed", None))
    elif request.method == "DELETE":
        await activity.stop(state)
    return JSONResponse(activity.status(state))


async def stop_activity(state: SandboxState) -> None:
    await activity.stop(state)


def routes() -> list[Route]:
    r = "/_sandbox"
    return [
        Route(r, _handle(index), methods=["GET"]),
        Route(r + "/", _handle(index), methods=["GET"]),
        Route(f"{r}/records/{{sobject}}", _handle(list_records), methods=["GET"]),
        Route(f"{r}/records/{{sobject}}", _handle(create_record), methods=["POST"]),
        Route(f"{r}/records/{{sobject}}/{{id}}", _handle(get_record), methods=["GET"]),
        Route(f"{r}/records/{{sobject}}/{{id}}", _handle(edit_record), methods=["PATCH"]),
        Route(f"{r}/records/{{sobject}}/{{id}}", _handle(delete_record), methods=["DELETE"]),
        Route(f"{r}/reset", _handle(reset), methods=["POST"]),
        Route(f"{r}/faults", _handle(faults), methods=["GET", "POST", "DELETE"]),
        Route(f"{r}/sessions/expire", _handle(expire_sessions), methods=["POST"]),
        Route(f"{r}/limits", _handle(limits), methods=["GET", "POST"]),
        Route(f"{r}/limits/spend", _handle(spend), methods=["POST"]),
        Route(f"{r}/counters", _handle(counters), methods=["GET", "DELETE"]),
        Route(f"{r}/counters/reset", _handle(counters), methods=["POST"]),
        Route(f"{r}/activity", _handle(people_at_work), methods=["GET", "POST", "DELETE"]),
    ]
