"""Keeping the change feed honest over time: records whose write failed are tried again,
and deletions Salesforce purged before we could see them are found by a full comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.entities import Entity, Flow, spec_for
from server.models import RecordLink, SyncAction
from workers.sync import store
from workers.sync.apply import BATCH, Batch, Op, apply, bases
from workers.sync.context import Engine
from workers.sync.convert import parse_datetime
from workers.sync.mapping import record_name

# How long Salesforce keeps deleted rows visible (a day of margin under its 15).
DELETED_WINDOW = timedelta(days=14)
# How often the "last complete read" mark is refreshed (one small write, not every tick).
CHECK_EVERY = timedelta(hours=1)
# A record whose write fails is tried again on the next ticks, this many times in all.
MAX_ATTEMPTS = 3


async def mind_the_deleted_window(engine: Engine, entity: Entity, sf_row: Any) -> None:
    """Deleted rows stay visible to queryAll for about 15 days. When the last complete read
    is older than that (the org was paused, the integration broken), deletions may have
    been purged unseen: compare every Salesforce id with the links instead."""
    now = datetime.now(UTC)
    checked = (sf_row.state or {}).get("checked_at")
    last = parse_datetime(checked) if checked else None
    if last is not None and now - last > DELETED_WINDOW:
        await reconcile_deletions(engine, entity)
    if last is None or now - last > CHECK_EVERY:
        await store.save_cursor(sf_row, checked_at=now.isoformat())


async def reconcile_deletions(engine: Engine, entity: Entity) -> None:
    spec = spec_for(entity)
    alive: set[str] = set()
    async for page in engine.sf.query(f"SELECT Id FROM {spec.salesforce_object}"):
        alive.update(r["Id"] for r in page)
    after = 0
    while True:
        links = await RecordLink.filter(
            organization_id=engine.org_id, entity=entity.value, deleted=False, id__gt=after
        ).order_by("id").limit(BATCH)
        if not links:
            return
        after = links[-1].id
        batch = Batch(entity)
        for link in links:
            if link.salesforce_id not in alive and link.forcemanager_id is not None:
                batch.ops.append(
                    Op(SyncAction.DELETED, Flow.SALESFORCE_TO_FORCEMANAGER, link,
                       salesforce_id=link.salesforce_id, forcemanager_id=link.forcemanager_id,
                       name=record_name(engine.maps[entity], bases(link)[0]))
                )
        await apply(engine, batch)


def retries(row: Any) -> dict[str | int, int]:
    """The records to try again on this side: {id: failed attempts so far}."""
    return {record_id: attempts for record_id, attempts in (row.state or {}).get("retry", [])}


async def save_retries(
    engine: Engine,
    entity: Entity,
    sf_row: Any,
    sf_before: dict[str | int, int],
    fm_row: Any,
    fm_before: dict[str | int, int],
) -> None:
    """Records that failed again count one more attempt; after MAX_ATTEMPTS they are given
    up (they stay in the log as errors and come back when someone edits them)."""
    failed = engine.retry.get(entity, {})
    for row, before, side in ((sf_row, sf_before, store.SALESFORCE),
                              (fm_row, fm_before, store.FORCEMANAGER)):
        if row is None:
            continue
        now = [
            [record_id, before.get(record_id, 0) + 1]
            for record_id in sorted(failed.get(side, ()), key=str)
            if before.get(record_id, 0) + 1 < MAX_ATTEMPTS
        ]
        if now or before:
            await store.save_cursor(row, retry=now[:BATCH])
