"""POST / PUT / DELETE /{resource}/bulk: up to 200 items, each answered on its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from sandboxes.forcemanager.errors import SandboxError, bad_request
from sandboxes.forcemanager.wire import read_json, resource_of

if TYPE_CHECKING:
    from sandboxes.forcemanager import ForceManagerSandbox

MAX_BULK = 200


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
    resource, store = resource_of(request), sandbox.store
    items = await _bulk_items(request)

    def create(item: dict[str, Any]) -> int:
        return store.create(resource, item.get("data"), user_id=store.api_user_id)

    return [_item_result(item, lambda i=item: create(i), "entity created") for item in items]


async def bulk_update(request: Request, sandbox: ForceManagerSandbox) -> Any:
    resource, store = resource_of(request), sandbox.store
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
    resource, store = resource_of(request), sandbox.store
    items = await _bulk_items(request)

    def delete(item: dict[str, Any]) -> int:
        record_id = _item_id(item)
        store.delete(resource, record_id, user_id=store.api_user_id)
        return record_id

    return [_item_result(item, lambda i=item: delete(i), "entity deleted") for item in items]
