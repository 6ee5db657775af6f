"""sObject Collections (/composite/sobjects): up to 200 records a request, one API call, one
result per record in request order; allOrNone rolls every record back on any failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandboxes.salesforce.api import ApiFailure, ApiRequest, ApiResponse
from sandboxes.salesforce.rest import record_json
from sandboxes.salesforce.schema import sobject
from sandboxes.salesforce.state import SandboxState
from sandboxes.salesforce.values import normalize_id
from sandboxes.salesforce.writes import RecordError, clean

MAX_RECORDS = 200

_ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
)


def _records(req: ApiRequest) -> tuple[list[Any], bool]:
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiFailure(
            400, "JSON_PARSER_ERROR", "The request body must be an object with a records list"
        )
    records = body["records"]
    if not records:
        raise ApiFailure(400, "REQUIRED_FIELD_MISSING", "At least 1 record is required.")
    if len(records) > MAX_RECORDS:
        raise ApiFailure(
            400, "EXCEEDED_ID_LIMIT", f"Maximum number of records allowed is {MAX_RECORDS}"
        )
    return records, bool(body.get("allOrNone", False))


def _run(
    state: SandboxState,
    items: list[Any],
    all_or_none: bool,
    write: Callable[[Any], str],
    failed_id: Callable[[Any], str | None],
) -> ApiResponse:
    results: list[dict[str, Any]] = []
    with state.store.transaction() as txn:
        for item in items:
            try:
                if state.faults.record_errors > 0:
                    state.faults.record_errors -= 1
                    raise RecordError(
                        state.faults.record_error_code,
                        "unable to obtain exclusive access to this record or 1 records: "
                        f"{failed_id(item) or ''}",
                    )
                results.append({"id": write(item), "success": True, "errors": []})
            except RecordError as exc:
                if exc.request_level:
                    txn.rollback()
                    raise ApiFailure(400, exc.code, exc.message) from exc
                results.append(
                    {"id": failed_id(item), "success": False, "errors": [exc.as_record_error()]}
                )
        if all_or_none and not all(r["success"] for r in results):
            txn.rollback()
            for result, item in zip(results, items, strict=True):
                if result["success"]:
                    result.update(
                        id=failed_id(item), success=False, errors=[_ROLLED_BACK.as_record_error()]
                    )
    return ApiResponse(200, results)


def _type_of(record: Any) -> Any:
    if not isinstance(record, dict):
        raise RecordError("JSON_PARSER_ERROR", "Each record must be a JSON object",
                          request_level=True)
    attributes = record.get("attributes")
    name = attributes.get("type") if isinstance(attributes, dict) else None
    if not name:
        raise RecordError("INVALID_TYPE", "Must send a concrete entity type.")
    sob = sobject(name)
    if sob is None:
        raise RecordError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
    return sob


async def create(state: SandboxState, req: ApiRequest) -> ApiResponse:
    records, all_or_none = _records(req)

    def write(record: Any) -> str:
        sob = _type_of(record)
        if not sob.createable:
            raise RecordError("INVALID_TYPE_FOR_OPERATION",
                              f"entity type cannot be inserted: {sob.name}")
        if any(k.lower() == "id" for k in record):
            raise RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        values = clean(state.store, sob, record, creating=True)
        return state.store.insert(sob.name, values, req.user_id)

    return _run(state, records, all_or_none, write, lambda record: None)


async def update(state: SandboxState, req: ApiRequest) -> ApiResponse:
    records, all_or_none = _records(req)

    def record_id(record: Any) -> str | None:
        if not isinstance(record, dict):
            return None
        return normalize_id(next((v for k, v in record.items() if k.lower() == "id"), None))

    def write(record: Any) -> str:
        sob = _type_of(record)
        raw = next((v for k, v in record.items() if k.lower() == "id"), None)
        if raw is None:
            raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        row_id = normalize_id(raw)
        if row_id is None or not row_id.startswith(sob.key_prefix):
            raise RecordError(
                "MALFORMED_ID", f"{sob.label} ID: id value of incorrect type: {raw}", ["Id"]
            )
        table = state.store.table(sob.name)
        row = table.rows.get(row_id)
        if row is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                              ["Id"])
        if row[table.deleted_pos]:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
        values = clean(state.store, sob, record, creating=False)
        state.store.update(row_id, values, req.user_id)
        return row_id

    return _run(state, records, all_or_none, write, record_id)


async def delete(state: SandboxState, req: ApiRequest) -> ApiResponse:
    ids = [i for i in req.query.get("ids", "").split(",") if i.strip()]
    if not ids:
        raise ApiFailure(400, "REQUIRED_FIELD_MISSING", "At least 1 Id is required.")
    if len(ids) > MAX_RECORDS:
        raise ApiFailure(
            400, "EXCEEDED_ID_LIMIT", f"Maximum number of ids allowed is {MAX_RECORDS}"
        )
    all_or_none = req.query.get("allOrNone", "false").lower() == "true"

    def write(raw: str) -> str:
        row_id = normalize_id(raw.strip())
        table = state.store.table_for_id(row_id) if row_id else None
        if row_id is None or table is None:
            raise RecordError("MALFORMED_ID", f"malformed id {raw}", [])
        if not table.sobject.createable:
            raise RecordError("INVALID_TYPE_FOR_OPERATION",
                              f"entity type cannot be deleted: {table.name}")
        row = table.rows.get(row_id)
        if row is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        if row[table.deleted_pos]:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
        state.store.delete(row_id, req.user_id)
        return row_id

    return _run(state, ids, all_or_none, write, lambda raw: normalize_id(raw.strip()))


async def retrieve(state: SandboxState, req: ApiRequest, name: str) -> ApiResponse:
    sob = sobject(name)
    if sob is None:
        raise ApiFailure(404, "NOT_FOUND", "The requested resource does not exist")
    ids = [i for i in req.query.get("ids", "").split(",") if i.strip()]
    names = [n.strip() for n in req.query.get("fields", "").split(",") if n.strip()]
    if not ids or not names:
        raise ApiFailure(400, "REQUIRED_FIELD_MISSING", "Both ids and fields are required.")
    if len(ids) > MAX_RECORDS:
        raise ApiFailure(400, "EXCEEDED_ID_LIMIT", "Maximum number of ids allowed is 200")
    fields = []
    for raw in names:
        f = sob.field(raw)
        if f is None:
            raise ApiFailure(400, "INVALID_FIELD",
                             f"No such column '{raw}' on sobject of type {sob.name}")
        fields.append(f.name)
    table = state.store.table(sob.name)
    answer: list[Any] = []
    for raw in ids:
        row_id = normalize_id(raw.strip())
        row = table.rows.get(row_id) if row_id else None
        if row is None or row[table.deleted_pos]:
            answer.append(None)
        else:
            answer.append(record_json(table, row, req.version, fields))
    return ApiResponse(200, answer)
