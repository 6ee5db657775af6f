"""The log writer: entries, statistics and run totals move together; each entry is published."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from server.entities import Flow
from server.events import record_stream
from server.models import (
    Organization,
    RunKind,
    StatCounter,
    SyncAction,
    SyncLogEntry,
    SyncRun,
    SyncStatus,
)
from server.synclog.service import LogRecord, write


async def test_entries_counters_and_events_agree(db: str, redis: Redis) -> None:
    org = await Organization.create(name="Acme", plan="business")
    run = await SyncRun.create(organization=org, kind=RunKind.INCREMENTAL)
    records = [
        LogRecord("ACCOUNT", SyncAction.CREATED, Flow.SALESFORCE_TO_FORCEMANAGER,
                  SyncStatus.SUCCESS, "001A", 1, "Acme"),
        LogRecord("ACCOUNT", SyncAction.UPDATED, Flow.FORCEMANAGER_TO_SALESFORCE,
                  SyncStatus.SUCCESS, "001B", 2, "Beta",
                  conflicts={"Phone": {"salesforce": "1", "forcemanager": "2"}}),
        LogRecord("ACCOUNT", SyncAction.CREATED, Flow.SALESFORCE_TO_FORCEMANAGER,
                  SyncStatus.ERROR, "001C", None, "Gamma", "REQUIRED", "name missing"),
    ]
    ids = await write(redis, org.id, run.id, records)

    assert len(ids) == 3
    rows = await SyncLogEntry.filter(organization=org).order_by("id")
    assert [r.salesforce_id for r in rows] == ["001A", "001B", "001C"]
    assert rows[1].conflicts == {"Phone": {"salesforce": "1", "forcemanager": "2"}}
    counters = {
        (c.direction, c.created, c.updated, c.failed)
        for c in await StatCounter.filter(organization=org)
    }
    assert counters == {
        (Flow.SALESFORCE_TO_FORCEMANAGER, 1, 0, 1),
        (Flow.FORCEMANAGER_TO_SALESFORCE, 0, 1, 0),
    }
    run = await SyncRun.get(id=run.id)
    assert (run.created, run.updated, run.failed) == (1, 1, 1)
    events = await redis.xrange(record_stream(org.id))
    published = [json.loads(fields[b"data"]) for _, fields in events]
    assert [e["id"] for e in published] == ids
    assert published[2]["status"] == "ERROR" and published[2]["errorCode"] == "REQUIRED"


async def test_a_second_write_adds_to_the_same_hour(db: str) -> None:
    org = await Organization.create(name="Acme", plan="business")
    record = LogRecord("CONTACT", SyncAction.DELETED, Flow.SALESFORCE_TO_FORCEMANAGER,
                       SyncStatus.SUCCESS, "003A", 5, "Ann")
    await write(None, org.id, None, [record])
    await write(None, org.id, None, [record])
    counter = await StatCounter.get(organization=org)
    assert counter.deleted == 2


async def test_entries_past_retention_are_pruned_and_counters_stay(db: str) -> None:
    from datetime import UTC, datetime, timedelta

    from server.synclog.service import prune

    org = await Organization.create(name="Acme", plan="business")
    old = LogRecord("ACCOUNT", SyncAction.CREATED, Flow.SALESFORCE_TO_FORCEMANAGER,
                    SyncStatus.SUCCESS, "001A", 1, "Old",
                    at=datetime.now(UTC) - timedelta(days=100))
    new = LogRecord("ACCOUNT", SyncAction.CREATED, Flow.SALESFORCE_TO_FORCEMANAGER,
                    SyncStatus.SUCCESS, "001B", 2, "New")
    await write(None, org.id, None, [old, new])
    assert await prune(datetime.now(UTC) - timedelta(days=90)) == 1
    assert [e.record_name for e in await SyncLogEntry.filter(organization=org)] == ["New"]
    assert sum(c.created for c in await StatCounter.filter(organization=org)) == 2
