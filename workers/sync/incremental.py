"""An incremental tick: what changed on either side since the cursors, paired through the
record links, resolved by the three-way merge, applied in batches.

Salesforce is probed first with one Composite call counting the changes of every synced
object; only objects with changes are read. A tick with nothing to do therefore costs one
Salesforce call (plus one empty ForceManager page per bidirectional entity).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from server.entities import Entity, Flow, spec_for
from server.models import RecordLink, SyncAction
from workers.sync import cursors, probe, store
from workers.sync.apply import BATCH, Batch, Op, apply, bases, set_bases
from workers.sync.context import Engine
from workers.sync.convert import parse_datetime
from workers.sync.mapping import from_forcemanager, from_salesforce, record_name
from workers.sync.merge import merge
from workers.sync.parents import prefetch_forcemanager_parents, prefetch_salesforce_parents

SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
# Re-read a little before each cursor: rows committed late with an earlier timestamp are not
# missed, and echo suppression makes the re-read rows cost nothing but the read.
OVERLAP = timedelta(minutes=2)
# How long Salesforce keeps deleted rows visible (a day of margin under its 15).
DELETED_WINDOW = timedelta(days=14)
# A record whose write fails is tried again on the next ticks, this many times in all.
MAX_ATTEMPTS = 3
# How often the "last complete read" mark is refreshed (one small write, not every tick).
CHECK_EVERY = timedelta(hours=1)


async def run_incremental(engine: Engine) -> None:
    entities = engine.entities
    sf_rows = {e: await store.cursor(engine.org_id, e, store.SALESFORCE) for e in entities}
    probes: dict[str, probe.Cursor | None] = {}
    for entity, row in sf_rows.items():
        at = cursors.salesforce(row.value)
        seen = int((row.state or {}).get("at_cursor", 0))
        probes[spec_for(entity).salesforce_object] = (
            None if at is None else probe.Cursor(at[0], seen)
        )
    changed = await probe.changed(engine.sf, probes)
    for entity in entities:
        await sync_entity(
            engine, entity, sf_rows[entity], changed[spec_for(entity).salesforce_object]
        )
        await _mind_the_deleted_window(engine, entity, sf_rows[entity])


async def _mind_the_deleted_window(engine: Engine, entity: Entity, sf_row: Any) -> None:
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


def owns_new_forcemanager_records(engine: Engine, entity: Entity) -> bool:
    """Task and Event share ForceManager's activities: one created in ForceManager becomes a
    Task (an Event when only Event is synced both ways)."""
    resource = spec_for(entity).forcemanager_resource
    sharing = [
        e for e in engine.entities
        if spec_for(e).forcemanager_resource == resource and engine.bidirectional(e)
    ]
    return bool(sharing) and sharing[0] is entity


async def sync_entity(engine: Engine, entity: Entity, sf_row: Any, sf_changed: bool) -> None:
    spec = spec_for(entity)
    emap = engine.maps[entity]
    fm_changes: dict[int, dict[str, Any]] = {}
    fm_row = None
    fm_latest: datetime | None = None
    if engine.bidirectional(entity):
        fm_row = await store.cursor(engine.org_id, entity, store.FORCEMANAGER)
        fm_since = cursors.forcemanager(fm_row.value)
        where = None
        if fm_since is not None:
            where = f"dateUpdated > '{cursors.fm_literal(fm_since - OVERLAP)}'"
        async for page in engine.fm.list(spec.forcemanager_resource, where=where,
                                         include_deleted=True):
            for record in page:
                fm_changes[int(record["id"])] = record
                if record.get("dateUpdated"):
                    stamp = parse_datetime(record["dateUpdated"])
                    fm_latest = stamp if fm_latest is None else max(fm_latest, stamp)
    fields = [*emap.salesforce_fields, "IsDeleted"]
    seen: set[str] = set()
    sf_retry = retries(sf_row)
    fm_retry = retries(fm_row) if fm_row is not None else {}
    if fm_retry:
        ids = ", ".join(str(int(i)) for i in fm_retry)
        async for page in engine.fm.list(spec.forcemanager_resource, where=f"id IN ({ids})",
                                         include_deleted=True):
            for record in page:
                fm_changes.setdefault(int(record["id"]), record)
    if sf_retry:
        quoted = ", ".join(f"'{i}'" for i in sf_retry)
        soql = (f"SELECT Id, SystemModstamp, {', '.join(fields)} FROM {spec.salesforce_object} "
                f"WHERE Id IN ({quoted})")
        async for page in engine.sf.query(soql, include_deleted=True):
            seen.update(r["Id"] for r in page)
            for begin in range(0, len(page), BATCH):
                await _salesforce_chunk(engine, entity, page[begin : begin + BATCH], fm_changes)
    if sf_changed:
        after = cursors.salesforce(sf_row.value)
        start = None if after is None else (after[0] - OVERLAP, cursors.FLOOR_ID)
        tail = cursors.TailCounter()
        async for page in engine.sf.query_changes(spec.salesforce_object, fields, start,
                                                  include_deleted=True):
            for begin in range(0, len(page), BATCH):
                chunk = [r for r in page[begin : begin + BATCH] if r["Id"] not in seen]
                if not chunk:
                    continue
                seen.update(r["Id"] for r in chunk)
                tail.add(chunk)
                await _salesforce_chunk(engine, entity, chunk, fm_changes)
                last = chunk[-1]
                await store.save_cursor(
                    sf_row,
                    cursors.salesforce_text(last["SystemModstamp"], last["Id"]),
                    at_cursor=tail.count,
                )
    if fm_changes:
        records = list(fm_changes.values())
        for begin in range(0, len(records), BATCH):
            await _forcemanager_chunk(engine, entity, records[begin : begin + BATCH])
    if fm_row is not None and fm_latest is not None:
        await store.save_cursor(fm_row, fm_latest.isoformat())
    await save_retries(engine, entity, sf_row, sf_retry, fm_row, fm_retry)


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


async def _salesforce_chunk(
    engine: Engine,
    entity: Entity,
    records: list[dict[str, Any]],
    fm_changes: dict[int, dict[str, Any]],
) -> None:
    links = await store.links_by_salesforce(engine.org_id, entity, [r["Id"] for r in records])
    paired: list[tuple[RecordLink | None, dict[str, Any], dict[str, Any] | None]] = []
    for record in records:
        link = links.get(record["Id"])
        fm_record = None
        if link is not None and link.forcemanager_id is not None:
            fm_record = fm_changes.pop(link.forcemanager_id, None)
        paired.append((link, record, fm_record))
    await prefetch_salesforce_parents(engine, entity, records)
    await prefetch_forcemanager_parents(engine, entity, [p[2] for p in paired if p[2]])
    batch = Batch(entity)
    for link, record, fm_record in paired:
        decide(engine, entity, batch, link, record, fm_record)
    await apply(engine, batch)


async def _forcemanager_chunk(
    engine: Engine, entity: Entity, records: list[dict[str, Any]]
) -> None:
    resource = spec_for(entity).forcemanager_resource
    sharing = [e for e in engine.entities if spec_for(e).forcemanager_resource == resource]
    links = await store.links_by_forcemanager(
        engine.org_id, sharing, [int(r["id"]) for r in records]
    )
    owner = owns_new_forcemanager_records(engine, entity)
    mine: list[tuple[RecordLink | None, dict[str, Any]]] = []
    for record in records:
        link = links.get(int(record["id"]))
        if link is not None and link.entity == entity.value:
            mine.append((link, record))
        elif link is None and owner:
            mine.append((None, record))
    await prefetch_forcemanager_parents(engine, entity, [r for _, r in mine])
    batch = Batch(entity)
    adopted: list[RecordLink] = []
    for link, record in mine:
        if link is None and SALESFORCE_ID.match(str(record.get("extId") or "")):
            # Created by us for a Salesforce record whose link a crash lost: adopt it.
            values = from_forcemanager(engine.maps[entity], record, engine.lookups)
            adopted.append(
                RecordLink(
                    organization_id=engine.org_id,
                    entity=entity.value,
                    salesforce_id=str(record["extId"]),
                    forcemanager_id=int(record["id"]),
                    synced_values={"salesforce": values, "forcemanager": values},
                )
            )
            continue
        decide(engine, entity, batch, link, None, record)
    if adopted:
        known = await store.links_by_salesforce(
            engine.org_id, entity, [link.salesforce_id for link in adopted]
        )
        await store.save_links([link for link in adopted if link.salesforce_id not in known], [])
    await apply(engine, batch)


def decide(
    engine: Engine,
    entity: Entity,
    batch: Batch,
    link: RecordLink | None,
    sf_record: dict[str, Any] | None,
    fm_record: dict[str, Any] | None,
) -> None:
    """Turn one pair of changes into writes (appended to the batch)."""
    emap = engine.maps[entity]
    both_ways = engine.bidirectional(entity)
    sf_deleted = bool(sf_record and sf_record.get("IsDeleted"))
    fm_deleted = bool(fm_record and fm_record.get("deleted"))
    sf_now = from_salesforce(emap, sf_record) if sf_record and not sf_deleted else None
    fm_now = (
        from_forcemanager(emap, fm_record, engine.lookups)
        if fm_record and not fm_deleted
        else None
    )
    modstamp = parse_datetime(sf_record["SystemModstamp"]) if sf_record else None
    fm_updated = (
        parse_datetime(fm_record["dateUpdated"])
        if fm_record and fm_record.get("dateUpdated")
        else None
    )
    sf_id = sf_record["Id"] if sf_record else (link.salesforce_id if link else None)
    fm_id = int(fm_record["id"]) if fm_record else (link.forcemanager_id if link else None)

    def create_in_forcemanager(relink: RecordLink | None) -> None:
        assert sf_now is not None
        batch.ops.append(
            Op(SyncAction.CREATED, Flow.SALESFORCE_TO_FORCEMANAGER, relink, values=sf_now,
               salesforce_id=sf_id, salesforce_base=sf_now, salesforce_modstamp=modstamp,
               name=record_name(emap, sf_now))
        )

    if link is None or link.deleted:
        if sf_now is not None:
            create_in_forcemanager(link)
        elif fm_now is not None and both_ways and link is None:
            batch.ops.append(
                Op(SyncAction.CREATED, Flow.FORCEMANAGER_TO_SALESFORCE, None, values=fm_now,
                   forcemanager_id=fm_id, forcemanager_base=fm_now,
                   forcemanager_updated=fm_updated, name=record_name(emap, fm_now))
            )
        return

    sf_base, fm_base = bases(link)
    name = record_name(emap, sf_now or fm_now or sf_base)
    if sf_deleted:
        if fm_deleted:
            link.deleted = True
            batch.quiet.append(link)
        else:
            batch.ops.append(
                Op(SyncAction.DELETED, Flow.SALESFORCE_TO_FORCEMANAGER, link,
                   salesforce_id=sf_id, forcemanager_id=fm_id, name=name)
            )
        return
    if fm_deleted:
        sf_edited = sf_now is not None and any(
            sf_now.get(k) != sf_base.get(k) for k in emap.salesforce_fields
        )
        if sf_edited or not both_ways:
            # Edited in Salesforce (or Salesforce is the only source): Salesforce wins and
            # the record comes back in ForceManager.
            if sf_now is None:
                return  # nothing to rebuild it from until Salesforce changes it
            create_in_forcemanager(link)
        else:
            batch.ops.append(
                Op(SyncAction.DELETED, Flow.FORCEMANAGER_TO_SALESFORCE, link,
                   salesforce_id=sf_id, forcemanager_id=fm_id, name=name)
            )
        return

    result = merge(emap.salesforce_fields, sf_base, fm_base, sf_now, fm_now,
                   bidirectional=both_ways)
    common = dict(salesforce_id=sf_id, forcemanager_id=fm_id, name=name,
                  salesforce_base=result.salesforce_base,
                  forcemanager_base=result.forcemanager_base,
                  salesforce_modstamp=modstamp, forcemanager_updated=fm_updated)
    if result.to_forcemanager:
        batch.ops.append(
            Op(SyncAction.UPDATED, Flow.SALESFORCE_TO_FORCEMANAGER, link,
               values=result.to_forcemanager, conflicts=result.conflicts or None, **common)
        )
    if result.to_salesforce:
        batch.ops.append(
            Op(SyncAction.UPDATED, Flow.FORCEMANAGER_TO_SALESFORCE, link,
               values=result.to_salesforce, **common)
        )
    if result.empty:
        new_sf = {**sf_base, **result.salesforce_base}
        new_fm = {**fm_base, **result.forcemanager_base}
        if new_sf != sf_base or new_fm != fm_base:
            set_bases(link, new_sf, new_fm)
            batch.quiet.append(link)
