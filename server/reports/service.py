"""Read-only queries over what the sync engine recorded, always scoped to one org."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from server.entities import Entity, Flow
from server.integration.errors import InvalidInput
from server.integration.schedule import utcnow
from server.models import StatCounter, SyncAction, SyncLogEntry, SyncRun, SyncStatus
from server.reports.pagination import Page, page

RECENT_LIMIT = 100
DEFAULT_PERIOD = timedelta(days=30)


@dataclass(frozen=True)
class EntityStatistics:
    entity: Entity
    direction: Flow
    created: int
    updated: int
    deleted: int
    failed: int


@dataclass(frozen=True)
class Statistics:
    since: datetime
    until: datetime
    rows: list[EntityStatistics]


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = until or utcnow()
    since = since or until - DEFAULT_PERIOD
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since and until need a time zone (e.g. 2025-01-01T00:00:00Z).")
    if since >= until:
        raise InvalidInput("since must be before until.")
    return since, until


async def statistics(
    org_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    entity: Entity | None = None,
) -> Statistics:
    """Counts per entity and direction over [since, until), by the hour the changes fell in."""
    since, until = _period(since, until)
    # Counters are hourly: an hour counts when it starts inside the period.
    query = StatCounter.filter(organization_id=org_id, hour__gte=since, hour__lt=until)
    if entity is not None:
        query = query.filter(entity=entity.value)
    rows = (
        await query.annotate(
            c=Sum("created"), u=Sum("updated"), d=Sum("deleted"), f=Sum("failed")
        )
        .group_by("entity", "direction")
        .values("entity", "direction", "c", "u", "d", "f")
    )
    result = [
        EntityStatistics(
            Entity(r["entity"]),
            Flow(r["direction"]),
            int(r["c"] or 0),
            int(r["u"] or 0),
            int(r["d"] or 0),
            int(r["f"] or 0),
        )
        for r in rows
    ]
    order = list(Entity)
    result.sort(key=lambda s: (order.index(s.entity), s.direction.value))
    return Statistics(since, until, result)


def _log_entries(
    org_id: int,
    *,
    entity: Entity | None = None,
    action: SyncAction | None = None,
    direction: Flow | None = None,
    status: SyncStatus | None = None,
) -> QuerySet[SyncLogEntry]:
    """The org's log entries, narrowed by the filters given (None: any)."""
    wanted = {"entity": entity.value if entity else None, "action": action,
              "direction": direction, "status": status}
    return SyncLogEntry.filter(organization_id=org_id,
                               **{k: v for k, v in wanted.items() if v is not None})


async def recent_records(
    org_id: int,
    limit: int = RECENT_LIMIT,
    entity: Entity | None = None,
    status: SyncStatus | None = None,
) -> list[SyncLogEntry]:
    if not 1 <= limit <= RECENT_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {RECENT_LIMIT}.")
    query = _log_entries(org_id, entity=entity, status=status)
    return await query.order_by("-id").limit(limit)


async def sync_log(
    org_id: int,
    *,
    entity: Entity | None = None,
    action: SyncAction | None = None,
    direction: Flow | None = None,
    status: SyncStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    first: int = 50,
    after: str | None = None,
) -> Page[SyncLogEntry]:
    query = _log_entries(org_id, entity=entity, action=action, direction=direction,
                         status=status)
    if since is not None or until is not None:
        if (since and since.tzinfo is None) or (until and until.tzinfo is None):
            raise InvalidInput("since and until need a time zone (e.g. 2025-01-01T00:00:00Z).")
        if since and until and since >= until:
            raise InvalidInput("since must be before until.")
        if since is not None:
            query = query.filter(created_at__gte=since)
        if until is not None:
            query = query.filter(created_at__lt=until)
    return await page(query, first, after)


async def sync_runs(org_id: int, *, first: int = 20, after: str | None = None) -> Page[SyncRun]:
    return await page(SyncRun.filter(organization_id=org_id), first, after)


async def last_run(org_id: int) -> SyncRun | None:
    return await SyncRun.filter(organization_id=org_id).order_by("-id").first()
