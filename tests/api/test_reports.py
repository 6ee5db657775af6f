"""syncStatistics, recentSyncRecords, syncLog and syncRuns over rows the engine would write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.entities import Flow
from server.models import (
    RunKind,
    RunStatus,
    StatCounter,
    SyncAction,
    SyncLogEntry,
    SyncRun,
    SyncStatus,
)
from tests.api.conftest import Api

S2F = Flow.SALESFORCE_TO_FORCEMANAGER
F2S = Flow.FORCEMANAGER_TO_SALESFORCE
HOUR = datetime(2025, 3, 1, 10, tzinfo=UTC)


async def log_rows(org_id: int, n: int, **fields: object) -> list[SyncLogEntry]:
    run = await SyncRun.create(organization_id=org_id, kind=RunKind.INCREMENTAL)
    rows = []
    for i in range(n):
        values = {
            "entity": "ACCOUNT",
            "salesforce_id": f"001{i:015d}",
            "forcemanager_id": 1000 + i,
            "record_name": f"Account {i}",
            "action": SyncAction.CREATED,
            "direction": S2F,
            "status": SyncStatus.SUCCESS,
            **fields,
        }
        rows.append(await SyncLogEntry.create(organization_id=org_id, run=run, **values))
    return rows


async def test_statistics_sum_hours_in_the_period(admin: Api) -> None:
    for hour, entity, flow, c, u, d, f in [
        (HOUR, "ACCOUNT", S2F, 5, 2, 1, 0),
        (HOUR + timedelta(hours=1), "ACCOUNT", S2F, 1, 1, 0, 1),
        (HOUR + timedelta(hours=1), "ACCOUNT", F2S, 0, 3, 0, 0),
        (HOUR, "CONTACT", S2F, 7, 0, 0, 2),
        (HOUR + timedelta(days=2), "ACCOUNT", S2F, 100, 0, 0, 0),  # outside the period
    ]:
        await StatCounter.create(
            organization_id=admin.org_id,
            entity=entity,
            direction=flow,
            hour=hour,
            created=c,
            updated=u,
            deleted=d,
            failed=f,
        )
    query = """query($since: DateTime, $until: DateTime, $entity: Entity) {
      syncStatistics(since: $since, until: $until, entity: $entity) {
        __typename
        ... on SyncStatistics { entities { entity direction created updated deleted failed } }
        ... on UserError { code message } } }"""
    period = {"since": HOUR.isoformat(), "until": (HOUR + timedelta(days=1)).isoformat()}
    got = (await admin.data(query, period))["syncStatistics"]["entities"]
    assert got == [
        {
            "entity": "ACCOUNT",
            "direction": "FORCEMANAGER_TO_SALESFORCE",
            "created": 0,
            "updated": 3,
            "deleted": 0,
            "failed": 0,
        },
        {
            "entity": "ACCOUNT",
            "direction": "SALESFORCE_TO_FORCEMANAGER",
            "created": 6,
            "updated": 3,
            "deleted": 1,
            "failed": 1,
        },
        {
            "entity": "CONTACT",
            "direction": "SALESFORCE_TO_FORCEMANAGER",
            "created": 7,
            "updated": 0,
            "deleted": 0,
            "failed": 2,
        },
    ]
    only = (await admin.data(query, {**period, "entity": "CONTACT"}))["syncStatistics"]
    assert [e["entity"] for e in only["entities"]] == ["CONTACT"]
    bad = await admin.data(query, {"since": period["until"], "until": period["since"]})
    assert bad["syncStatistics"]["__typename"] == "InvalidInput"


async def test_recent_records_newest_first_filtered_and_capped(admin: Api) -> None:
    await log_rows(admin.org_id, 3)
    await log_rows(
        admin.org_id,
        2,
        entity="CONTACT",
        status=SyncStatus.ERROR,
        error_code="REQUIRED_FIELD_MISSING",
        error_message="LastName missing",
        action=SyncAction.UPDATED,
        direction=F2S,
    )
    query = """query($limit: Int!, $entity: Entity, $status: SyncStatus) {
      recentSyncRecords(limit: $limit, entity: $entity, status: $status) {
        __typename
        ... on SyncRecordList { records { entity recordName salesforceId forcemanagerId
          action direction status errorCode errorMessage at runId } }
        ... on UserError { code } } }"""
    got = (await admin.data(query, {"limit": 100}))["recentSyncRecords"]["records"]
    assert [r["recordName"] for r in got] == [
        "Account 1",
        "Account 0",
        "Account 2",
        "Account 1",
        "Account 0",
    ]
    assert got[0]["entity"] == "CONTACT" and got[0]["status"] == "ERROR"
    assert got[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert got[0]["direction"] == "FORCEMANAGER_TO_SALESFORCE" and got[0]["action"] == "UPDATED"
    errors = await admin.data(query, {"limit": 100, "status": "ERROR"})
    assert len(errors["recentSyncRecords"]["records"]) == 2
    two = await admin.data(query, {"limit": 2, "entity": "ACCOUNT"})
    assert [r["recordName"] for r in two["recentSyncRecords"]["records"]] == [
        "Account 2",
        "Account 1",
    ]
    for limit in (0, 101):
        bad = await admin.data(query, {"limit": limit})
        assert bad["recentSyncRecords"] == {"__typename": "InvalidInput", "code": "INVALID_INPUT"}


async def test_sync_log_pages_through_everything(admin: Api) -> None:
    rows = await log_rows(admin.org_id, 7)
    await log_rows(admin.org_id, 2, action=SyncAction.DELETED)
    query = """query($first: Int!, $after: String, $action: SyncAction) {
      syncLog(first: $first, after: $after, action: $action) {
        __typename
        ... on SyncLogConnection { edges { cursor node { id action } }
                                   pageInfo { hasNextPage endCursor } }
        ... on UserError { code } } }"""
    seen, after = [], None
    while True:
        page = await admin.data(query, {"first": 3, "after": after, "action": "CREATED"})
        conn = page["syncLog"]
        seen += [int(e["node"]["id"]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == sorted((r.id for r in rows), reverse=True)
    bad = await admin.data(query, {"first": 3, "after": "not-a-cursor"})
    assert bad["syncLog"] == {"__typename": "InvalidInput", "code": "INVALID_INPUT"}
    bad = await admin.data(query, {"first": 0})
    assert bad["syncLog"]["__typename"] == "InvalidInput"


async def test_sync_log_period_filter(admin: Api) -> None:
    rows = await log_rows(admin.org_id, 3)
    old = datetime(2024, 1, 1, tzinfo=UTC)
    await SyncLogEntry.filter(id=rows[0].id).update(created_at=old)
    query = """query($since: DateTime) { syncLog(since: $since) {
      ... on SyncLogConnection { edges { node { recordName } } } } }"""
    got = await admin.data(query, {"since": "2025-01-01T00:00:00Z"})
    assert [e["node"]["recordName"] for e in got["syncLog"]["edges"]] == [
        "Account 2",
        "Account 1",
    ]


async def test_sync_runs_history_and_last_run(admin: Api) -> None:
    runs = []
    for status in (RunStatus.SUCCESS, RunStatus.PARTIAL, RunStatus.FAILED):
        runs.append(
            await SyncRun.create(
                organization_id=admin.org_id,
                kind=RunKind.INCREMENTAL,
                status=status,
                created=4,
                failed=1,
                reason="REQUEST_LIMIT_EXCEEDED" if status == "FAILED" else None,
            )
        )
    query = """query($after: String) { syncRuns(first: 2, after: $after) {
      ... on SyncRunConnection { edges { node { id status kind created failed reason } }
                                 pageInfo { hasNextPage endCursor } } } }"""
    first = (await admin.data(query))["syncRuns"]
    assert [e["node"]["status"] for e in first["edges"]] == ["FAILED", "PARTIAL"]
    assert first["edges"][0]["node"]["reason"] == "REQUEST_LIMIT_EXCEEDED"
    rest = (await admin.data(query, {"after": first["pageInfo"]["endCursor"]}))["syncRuns"]
    assert [e["node"]["id"] for e in rest["edges"]] == [runs[0].id]
    assert rest["pageInfo"]["hasNextPage"] is False
    last = await admin.data("{ salesforceIntegration { lastRun { id status } } }")
    assert last["salesforceIntegration"]["lastRun"] == {"id": runs[2].id, "status": "FAILED"}
