"""Writing what the engine did: one SyncLogEntry per record touched, the hourly statistics
counters and the run's totals in the same transaction, then one live event per entry."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.entities import Flow
from server.events import publish_records
from server.models import StatCounter, SyncAction, SyncLogEntry, SyncRun, SyncStatus

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
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def write(
    redis: Redis | None, org_id: int, run_id: int | None, records: list[LogRecord]
) -> list[int]:
    """Store the entries, bump the counters and the run totals atomically, then publish.
    Returns the new entries' ids in order."""
    if not records:
        return []
    counts: Counter[tuple[str, Flow, datetime, str]] = Counter(
        (r.entity, r.direction, _hour(r.at), r.counter) for r in records
    )
    totals: Counter[str] = Counter(r.counter for r in records)
    async with in_transaction():
        await SyncLogEntry.bulk_create(
            [
                SyncLogEntry(
                    organization_id=org_id,
                    run_id=run_id,
                    entity=r.entity,
                    salesforce_id=r.salesforce_id,
                    forcemanager_id=r.forcemanager_id,
                    record_name=r.record_name,
                    action=r.action,
                    direction=r.direction,
                    status=r.status,
                    error_code=r.error_code,
                    error_message=r.error_message,
                    conflicts=r.conflicts,
                    owner_fallback=r.owner_fallback,
                    created_at=r.at,
                )
                for r in records
            ]
        )
        # bulk_create returns no keys; one org has one run at a time, so its newest rows
        # are these.
        ids = await (
            SyncLogEntry.filter(organization_id=org_id)
            .order_by("-id")
            .limit(len(records))
            .values_list("id", flat=True)
        )
        for (entity, direction, hour, column), n in counts.items():
            counter, _ = await StatCounter.get_or_create(
                organization_id=org_id, entity=entity, direction=direction, hour=hour
            )
            await StatCounter.filter(id=counter.id).update(**{column: F(column) + n})
        if run_id is not None:
            await SyncRun.filter(id=run_id).update(
                **{column: F(column) + n for column, n in totals.items()}
            )
    ids = sorted(ids)
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
