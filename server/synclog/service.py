"""Writing what the engine did: one SyncLogEntry per record touched, the hourly statistics
counters and the run's totals in the same transaction, then one live event per entry."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from server.entities import Flow
from server.events import publish_records
from server.models import StatCounter, SyncAction, SyncLogEntry, SyncRun, SyncStatus
from server.synclog.sql import insert_rows, update_by_id

_LOG_COLUMNS = (
    "organization_id", "run_id", "entity", "salesforce_id", "forcemanager_id", "record_name",
    "action", "direction", "status", "error_code", "error_message", "conflicts",
    "owner_fallback", "created_at",
)
_COUNTERS = ("created", "updated", "deleted", "failed")
_STAT_COLUMNS = ("organization_id", "entity", "direction", "hour", *_COUNTERS)
# One statement for all of a batch's counters (the table is unique on these four).
_STAT_UPSERT = (
    "ON CONFLICT (organization_id, entity, direction, hour) DO UPDATE SET "
    + ", ".join(f"{c} = stat_counter.{c} + excluded.{c}" for c in _COUNTERS)
)

_CONFLICTS = SyncLogEntry._meta.fields_map["conflicts"]


def _json(value: dict[str, Any] | None) -> str | None:
    return _CONFLICTS.to_db_value(value, SyncLogEntry)  # the model's own JSON encoding


_COLUMN = {
    SyncAction.CREATED: "created",
    SyncAction.UPDATED: "updated",
    SyncAction.DELETED: "deleted",
}


@dataclass
class LogRecord:
    entity: str
    action: SyncAction
    direction: Flow
    status: SyncStatus
    salesforce_id: str | None = None
    forcemanager_id: int | None = None
    record_name: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    conflicts: dict[str, Any] | None = None
    owner_fallback: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def counter(self) -> str:
        return "failed" if self.status is SyncStatus.ERROR else _COLUMN[self.action]


def _hour(at: datetime) -> datetime:
    if at.tzinfo is not UTC:  # entries made here are UTC already: no conversion per entry
        at = at.astimezone(UTC)
    return at.replace(minute=0, second=0, microsecond=0)


async def write(
    redis: Redis | None, org_id: int, run_id: int | None, records: list[LogRecord]
) -> list[int]:
    """Store the entries, bump the counters and the run totals atomically, then publish.
    Returns the new entries' ids in order."""
    if not records:
        return []
    # Keyed by the direction's value: an enum member hashes through a Python-level __hash__.
    keys = [(r.entity, r.direction.value, _hour(r.at), r.counter) for r in records]
    counts: Counter[tuple[str, str, datetime, str]] = Counter(keys)
    totals: Counter[str] = Counter(key[3] for key in keys)
    rows = [
        (
            org_id, run_id, r.entity, r.salesforce_id, r.forcemanager_id, r.record_name,
            r.action.value, r.direction.value, r.status.value, r.error_code, r.error_message,
            None if r.conflicts is None else _json(r.conflicts), r.owner_fallback, r.at,
        )
        for r in records
    ]
    # One row per counter row: an upsert may not touch the same row twice.
    grouped: dict[tuple[str, str, datetime], list[int]] = {}
    for (entity, direction, hour, column), n in counts.items():
        grouped.setdefault((entity, direction, hour), [0] * len(_COUNTERS))[
            _COUNTERS.index(column)
        ] += n
    stats = [
        (org_id, entity, direction, hour, *numbers)
        for (entity, direction, hour), numbers in grouped.items()
    ]
    async with in_transaction():
        ids = await insert_rows(SyncLogEntry, _LOG_COLUMNS, rows, returning="id")
        await insert_rows(StatCounter, _STAT_COLUMNS, stats, suffix=_STAT_UPSERT)
        if run_id is not None:
            await update_by_id(SyncRun, run_id, add=dict(totals))
    if redis is not None:
        # One round trip for the whole batch: a round trip per record was a third of an
        # initial load's time (bench: python -m bench --only initial).
        await publish_records(
            redis, org_id,
            [event(entry_id, run_id, r) for entry_id, r in zip(ids, records, strict=True)],
        )
    return ids


def event(entry_id: int, run_id: int | None, r: LogRecord) -> dict[str, Any]:
    return {
        "id": entry_id,
        "entity": r.entity,
        "salesforceId": r.salesforce_id,
        "forcemanagerId": r.forcemanager_id,
        "recordName": r.record_name,
        "action": r.action.value,
        "direction": r.direction.value,
        "status": r.status.value,
        "errorCode": r.error_code,
        "errorMessage": r.error_message,
        "ownerFallback": r.owner_fallback,
        "runId": run_id,
        "at": r.at.isoformat(),
    }


async def prune(older_than: datetime) -> int:
    """Drop log entries older than the retention period (statistics counters stay)."""
    return await SyncLogEntry.filter(created_at__lt=older_than).delete()
