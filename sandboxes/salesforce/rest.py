"""The REST resources under /services/data/vXX.X: describes, record CRUD, query, changes,
limits. Each handler takes the sandbox state and an ApiRequest and returns an ApiResponse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sandboxes.salesforce import engine, soql
from sandboxes.salesforce.api import ApiFailure, ApiRequest, ApiResponse, not_found
from sandboxes.salesforce.describe import SObjectType
from sandboxes.salesforce.schema import describe as describe_sobject
from sandboxes.salesforce.schema import describe_global, sobject
from sandboxes.salesforce.state import Cursor, SandboxState
from sandboxes.salesforce.store import Table
from sandboxes.salesforce.values import floor_minute, format_datetime, normalize_id, parse_datetime
from sandboxes.salesforce.writes import RecordError, clean

DEFAULT_BATCH = 2000
UPDATED_DAYS = 30
DELETED_DAYS = 15
MAX_UPDATED_IDS = 600_000

RESOURCES = [
    "tooling", "metadata", "eclair", "folders", "prechatForms", "contentHubItems", "chatter",
    "tabs", "appMenu", "quickActions", "queryAll", "commerce", "wave", "iot", "analytics",
    "search", "identity", "composite", "parameterizedSearch", "fingerprint", "theme", "nouns",
    "event", "serviceTemplates", "recent", "connect", "licensing", "limits", "process",
    "async-queries", "query", "match", "emailConnect", "compactLayouts", "knowledgeManagement",
    "sobjects", "actions", "support", "jobs",
]


def the_sobject(name: str) -> SObjectType:
    found = sobject(name)
    if found is None:
        raise not_found()
    return found


def record_json(table: Table, row: list[Any], version: str, fields: list[str] | None = None
                ) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "attributes": {
            "type": table.name,
            "url": f"/services/data/v{version}/sobjects/{table.name}/{row[table.id_pos]}",
        }
    }
    answer.update(table.as_dict(row, fields))
    return answer


async def resources(state: SandboxState, req: ApiRequest) -> ApiResponse:
    base = f"/services/data/v{req.version}"
    return ApiResponse(200, {name: f"{base}/{name}" for name in RESOURCES})


async def global_describe(state: SandboxState, req: ApiRequest) -> ApiResponse:
    return ApiResponse(200, describe_global(req.version))


async def sobject_info(state: SandboxState, req: ApiRequest, name: str) -> ApiResponse:
    sob = the_sobject(name)
    table = state.store.table(sob.name)
    recent = [record_json(table, table.rows[row_id], req.version, ["Id"])
              for _, row_id in table.index[-3:]]
    return ApiResponse(200, {"objectDescribe": sob.summary(req.version), "recentItems": recent})


async def describe(state: SandboxState, req: ApiRequest, name: str) -> ApiResponse:
    sob = the_sobject(name)
    answer = describe_sobject(sob, req.version)
    base = f"/services/data/v{req.version}/sobjects/{sob.name}"
    answer["urls"].update({
        "compactLayouts": f"{base}/describe/compactLayouts",
        "approvalLayouts": f"{base}/describe/approvalLayouts",
        "listviews": f"{base}/listviews",
        "quickActions": f"{base}/quickActions",
        "layouts": f"{base}/describe/layouts",
        "uiDetailTemplate": f"{req.base_url}/{{ID}}",
        "uiEditTemplate": f"{req.base_url}/{{ID}}/e",
        "uiNewRecord": f"{req.base_url}/{sob.key_prefix}/e",
    })
    return ApiResponse(200, answer)


async def create(state: SandboxState, req: ApiRequest, name: str) -> ApiResponse:
    sob = the_sobject(name)
    body = req.json()
    if not isinstance(body, dict):
        raise ApiFailure(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    new_id = create_record(state, sob, body, req.user_id)
    return ApiResponse(
        201, {"id": new_id, "success": True, "errors": []},
        {"Location": f"/services/data/v{req.version}/sobjects/{sob.name}/{new_id}"},
    )


def create_record(state: SandboxState, sob: SObjectType, body: dict[str, Any],
                  user_id: str) -> str:
    if not sob.createable:
        raise ApiFailure(
            400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be inserted: {sob.name}"
        )
    try:
        values = clean(state.store, sob, body, creating=True)
    except RecordError as exc:
        raise ApiFailure(400, exc.code, exc.message, exc.fields) from exc
    return state.store.insert(sob.name, values, user_id)


def find_row(state: SandboxState, sob: SObjectType, raw_id: str) -> tuple[Table, list[Any]]:
    row_id = normalize_id(raw_id)
    table = state.store.table(sob.name)
    if row_id is None or not row_id.startswith(sob.key_prefix):
        raise ApiFailure(
            404, "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {raw_id}",
        )
    row = table.rows.get(row_id)
    if row is None:
        raise not_found()
    if row[table.deleted_pos]:
        raise ApiFailure(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    return table, row


async def get_record(state: SandboxState, req: ApiRequest, name: str, id: str) -> ApiResponse:
    sob = the_sobject(name)
    table, row = find_row(state, sob, id)
    fields = None
    if req.query.get("fields"):
        fields = []
        for raw in req.query["fields"].split(","):
            f = sob.field(raw.strip())
            if f is None:
                raise ApiFailure(
                    400, "INVALID_FIELD",
                    f"No such column '{raw.strip()}' on sobject of type {sob.name}",
                )
            fields.append(f.name)
    return ApiResponse(200, record_json(table, row, req.version, fields))


async def update_record(state: SandboxState, req: ApiRequest, name: str, id: str
                        ) -> ApiResponse:
    sob = the_sobject(name)
    table, row = find_row(state, sob, id)
    body = req.json()
    if not isinstance(body, dict):
        raise ApiFailure(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    try:
        values = clean(state.store, sob, body, creating=False)
    except RecordError as exc:
        raise ApiFailure(400, exc.code, exc.message, exc.fields) from exc
    state.store.update(row[table.id_pos], values, req.user_id)
    return ApiResponse(204)


async def delete_record(state: SandboxState, req: ApiRequest, name: str, id: str
                        ) -> ApiResponse:
    sob = the_sobject(name)
    if not sob.createable:
        raise ApiFailure(
            400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be deleted: {sob.name}"
        )
    table, row = find_row(state, sob, id)
    state.store.delete(row[table.id_pos], req.user_id)
    return ApiResponse(204)


# Query


def batch_size(req: ApiRequest) -> int:
    options = req.headers.get("sforce-query-options", "")
    for part in options.split(","):
        key, _, value = part.partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return max(200, min(DEFAULT_BATCH, int(value)))
    return DEFAULT_BATCH


def run_query(state: SandboxState, text: str, include_deleted: bool, size: int, version: str
              ) -> dict[str, Any]:
    try:
        query = soql.parse(text)
    except soql.SoqlError as exc:
        raise ApiFailure(400, exc.code, exc.message) from exc
    table = state.store.table(query.sobject.name)
    ids, total = engine.run(query, table, include_deleted=include_deleted)
    if query.is_count:
        return {"totalSize": total, "done": True, "records": []}
    assert query.fields is not None
    cursor = Cursor(query.sobject.name, ids, query.fields, size)
    if len(ids) <= size:
        return _page(state, cursor, None, 0, version)
    locator = state.open_cursor(cursor)
    return _page(state, cursor, locator, 0, version)


def _page(state: SandboxState, cursor: Cursor, locator: str | None, offset: int, version: str
          ) -> dict[str, Any]:
    table = state.store.table(cursor.sobject)
    chunk = cursor.ids[offset : offset + cursor.batch_size]
    rows = table.rows
    records = [record_json(table, rows[i], version, cursor.fields) for i in chunk]
    end = offset + len(chunk)
    answer: dict[str, Any] = {"totalSize": len(cursor.ids), "done": end >= len(cursor.ids)}
    if not answer["done"]:
        answer["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
    answer["records"] = records
    return answer


async def query(state: SandboxState, req: ApiRequest) -> ApiResponse:
    return _query(state, req, include_deleted=False)


async def query_all(state: SandboxState, req: ApiRequest) -> ApiResponse:
    return _query(state, req, include_deleted=True)


def _query(state: SandboxState, req: ApiRequest, include_deleted: bool) -> ApiResponse:
    text = req.query.get("q")
    if not text or not text.strip():
        raise ApiFailure(400, "MALFORMED_QUERY", "A query string has to be specified")
    return ApiResponse(200, run_query(state, text, include_deleted, batch_size(req), req.version))


async def query_more(state: SandboxState, req: ApiRequest, locator: str) -> ApiResponse:
    key, _, offset = locator.rpartition("-")
    cursor = state.cursors.get(key)
    if cursor is None or not offset.isdigit() or int(offset) >= len(cursor.ids):
        raise ApiFailure(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    state.cursors.move_to_end(key)
    return ApiResponse(200, _page(state, cursor, key, int(offset), req.version))


# Replication: getUpdated / getDeleted


def _window(state: SandboxState, req: ApiRequest, days: int) -> tuple[str, str, str, str]:
    """(start, end, latestDateCovered, earliest allowed) as stored timestamps."""
    raw_start, raw_end = req.query.get("start"), req.query.get("end")
    if not raw_start or not raw_end:
        raise ApiFailure(400, "MISSING_ARGUMENT", "Both start and end are required parameters")
    start, end = parse_datetime(raw_start), parse_datetime(raw_end)
    if start is None or end is None:
        bad = raw_start if start is None else raw_end
        raise ApiFailure(
            400, "INVALID_REPLICATION_DATE", f"Unable to parse date: {bad}; use ISO 8601"
        )
    now = state.store.clock()
    start, end = floor_minute(start), floor_minute(min(end, now))
    earliest = floor_minute(now - timedelta(days=days))
    if start < earliest:
        raise ApiFailure(
            400, "INVALID_REPLICATION_DATE",
            f"startDate cannot be more than {days} days ago",
        )
    if end < start:
        raise ApiFailure(400, "INVALID_REPLICATION_DATE", "startDate must chronologically "
                         "precede endDate by more than one minute")
    return (format_datetime(start), format_datetime(end), format_datetime(end),
            format_datetime(earliest))


async def updated(state: SandboxState, req: ApiRequest, name: str) -> ApiResponse:
    sob = the_sobject(name)
    start, end, latest, _ = _window(state, req, UPDATED_DAYS)
    table = state.store.table(sob.name)
    ids = []
    for row in table.since(start):
        if row[table.modstamp_pos] >= end:
            break
        if not row[table.deleted_pos]:
            ids.append(row[table.id_pos])
    if len(ids) > MAX_UPDATED_IDS:
        raise ApiFailure(
            400, "EXCEEDED_ID_LIMIT", "The result set is larger than 600,000 ids; narrow it"
        )
    return ApiResponse(200, {"ids": ids, "latestDateCovered": latest})


async def deleted(state: SandboxState, req: ApiRequest, name: str) -> ApiResponse:
    sob = the_sobject(name)
    start, end, latest, earliest = _window(state, req, DELETED_DAYS)
    table = state.store.table(sob.name)
    records = []
    for row in table.since(start):
        if row[table.modstamp_pos] >= end:
            break
        if row[table.deleted_pos]:
            records.append({"id": row[table.id_pos], "deletedDate": row[table.modstamp_pos]})
    return ApiResponse(200, {
        "deletedRecords": records, "earliestDateAvailable": earliest, "latestDateCovered": latest,
    })


async def limits(state: SandboxState, req: ApiRequest) -> ApiResponse:
    def pair(maximum: int, remaining: int) -> dict[str, int]:
        return {"Max": maximum, "Remaining": max(0, remaining)}

    jobs = len(state.jobs)
    records = sum(len(t.rows) for t in state.store.tables.values())
    return ApiResponse(200, {
        "ConcurrentAsyncGetReportInstances": pair(200, 200),
        "DailyApiRequests": pair(state.api_limit, state.api_limit - state.api_used),
        "DailyBulkV2QueryFileStorageMB": pair(976562, 976562),
        "DailyBulkV2QueryJobs": pair(10000, 10000 - jobs),
        "DataStorageMB": pair(1024, 1024 - records * 2 // 1024),
        "FileStorageMB": pair(1024, 1024),
        "SingleEmail": pair(5000, 5000),
    })
