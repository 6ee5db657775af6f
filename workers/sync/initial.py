"""The initial replacement: back up and remove ForceManager's records, create the extra
fields, then load every Salesforce record in dependency order.

Each phase and each batch of 200 records is checkpointed in SyncCursor.state, so a crash
or a quota stop resumes where it stopped. A batch about to be created in ForceManager is
recorded as "pending" first; on resume, pending records are looked up in ForceManager by
extId (= Salesforce Id) and linked instead of being created twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from server.backups import service as backups
from server.entities import Entity, Flow, spec_for
from server.models import Backup, RecordLink, SyncAction
from server.synclog.sql import connection, is_postgres
from workers.sync import cursors, store
from workers.sync.apply import BATCH, Batch, Op, record_written, write
from workers.sync.context import Engine
from workers.sync.convert import parse_datetime
from workers.sync.extra_fields import create_missing, keep_custom_fields
from workers.sync.mapping import Lookups, from_salesforce
from workers.sync.parents import prefetch_salesforce_parents
from workers.sync.survey import survey

T = TypeVar("T")

# PostgreSQL plans the per-batch link lookups from the table's statistics, and the links
# of a fresh load have none until auto-analyze comes by (a minute or more). Without them it
# reads all of the org's links of the entity for each batch, through the (org, entity,
# forcemanager_id) index, instead of probing the unique one: a lookup took 290 ms at 30k
# links, and the database was the load's bottleneck. So the load refreshes the statistics
# itself each time the links it made double, from ANALYZE_FROM on.
ANALYZE_FROM = 1_000

# Batches written or being recorded at once. ForceManager's pacer is shared by the client,
# so more writes in flight never exceed its rate limit; they only stop waiting on each other.
IN_FLIGHT = 3


async def run_initial(engine: Engine) -> None:
    row = await store.cursor(engine.org_id, store.INITIAL, "ENGINE")
    phase = (row.state or {}).get("phase", "backup")
    if phase not in ("backup", "remove", "fields", "load"):
        return
    objects = {e: spec_for(e).salesforce_object for e in engine.entities}
    found = await survey(engine.sf, list(objects.values()), describe=phase != "load")
    if phase != "load":
        for entity in engine.entities:
            await keep_custom_fields(engine, entity, found.described[objects[entity]])
    readers = _Readers(engine)
    statistics = LinkStatistics()
    try:
        # The first Salesforce pages are read while ForceManager is backed up and prepared.
        await readers.start(0)
        if phase == "backup":
            backup = await _backup(engine, row)
            await backups.copy(engine.fm, backup)
            phase = "remove"
            await store.save_cursor(row, phase=phase)
        if phase == "remove":
            backup = await Backup.get(id=row.state["backup_id"])
            await backups.remove(engine.fm, backup)
            phase = "fields"
            await store.save_cursor(row, phase=phase)
        if phase == "fields":
            for entity in engine.entities:
                await create_missing(engine, entity, found.described[objects[entity]])
            phase = "load"
            await store.save_cursor(row, phase=phase)
        for n, entity in enumerate(engine.entities):
            await load_entity(engine, entity, found.totals.get(objects[entity]),
                              readers.take(n), then=functools.partial(readers.start, n + 1),
                              statistics=statistics)
        await store.save_cursor(row, phase="done")
    finally:
        await readers.close()


class LinkStatistics:
    """Keeps PostgreSQL's statistics of the link table in step with a load (see
    ANALYZE_FROM); nothing to do on SQLite, whose planner takes the unique index anyway."""

    def __init__(self) -> None:
        self.made = 0
        self._next = ANALYZE_FROM

    async def grew(self, links: int) -> None:
        self.made += links
        if self.made < self._next:
            return
        self._next = 2 * self.made
        conn = connection(RecordLink)
        if is_postgres(conn):
            await conn.execute_script(f"ANALYZE {RecordLink._meta.db_table}")


class _Readers:
    """Each entity's Salesforce pages, started ahead of its load: the next entity's first
    page is read while the last batches of this one are written, so ForceManager's paced
    writes do not wait for it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._open: dict[int, ReadAhead[Any]] = {}

    async def start(self, n: int) -> None:
        entities = self.engine.entities
        while n < len(entities) and n not in self._open:
            entity = entities[n]
            row = await store.cursor(self.engine.org_id, entity, store.SALESFORCE)
            state = (row.state or {}).get("load") or {}
            if state.get("done"):
                n += 1
                continue
            self._open[n] = _reader(self.engine, entity, state)
            return

    def take(self, n: int) -> ReadAhead[Any] | None:
        return self._open.get(n)  # still closed by close(), whatever the load did with it

    async def close(self) -> None:
        for reader in self._open.values():
            await reader.aclose()
        self._open.clear()


def _reader(engine: Engine, entity: Entity, load_state: dict[str, Any]) -> ReadAhead[Any]:
    """The entity's Salesforce pages from its load checkpoint on, reading started."""
    since = cursors.salesforce(load_state.get("after"))
    return ReadAhead(engine.sf.query_changes(
        spec_for(entity).salesforce_object, engine.maps[entity].salesforce_fields, since))


async def _backup(engine: Engine, row: store.SyncCursor) -> Backup:
    backup_id = (row.state or {}).get("backup_id")
    backup = await Backup.get_or_none(id=backup_id) if backup_id else None
    if backup is None:
        resources = [spec_for(e).forcemanager_resource for e in engine.entities]
        backup = await backups.start(engine.org_id, engine.run.id, resources)
        await store.save_cursor(row, backup_id=backup.id)
    return backup


async def load_entity(
    engine: Engine, entity: Entity, total: int | None, reader: ReadAhead[Any] | None = None,
    then: Callable[[], Awaitable[None]] | None = None,
    statistics: LinkStatistics | None = None,
) -> None:
    """Load one entity from where its checkpoint stands. `reader`: its pages, already
    started (read from the checkpoint otherwise); `then` is awaited once the last page has
    been read."""
    row = await store.cursor(engine.org_id, entity, store.SALESFORCE)
    state = dict((row.state or {}).get("load") or {})
    if state.get("done"):
        if reader is not None:
            await reader.aclose()
        return
    await _recover_pending(engine, entity, state.get("pending") or [])
    processed = int(state.get("processed", 0))
    await engine.progress(entity, processed, total)
    tail = cursors.TailCounter()
    statistics = statistics or LinkStatistics()
    if reader is None:
        reader = _reader(engine, entity, state)
    # Up to IN_FLIGHT batches at once are being written to ForceManager (each with its own
    # copy of the lookups) and then recorded (links, log, progress) in order, while the next
    # one is prepared. Their records stay "pending" in the checkpoint until recorded, so a
    # crash in between links them on resume instead of creating them twice; a recorded
    # batch moves the cursor with the next checkpoint save (one write per batch).
    flight: deque[_InFlight] = deque()
    settled: _InFlight | None = None
    try:
        async with contextlib.aclosing(reader) as reading:
            async for page in reading:
                read_at = datetime.now(UTC).isoformat()  # see incremental.SECOND_SETTLED
                for start in range(0, len(page), BATCH):
                    chunk = list(page[start : start + BATCH])
                    batch = await _batch(engine, entity, chunk)
                    while flight and flight[0].task.done():
                        settled = await _land(flight, statistics)
                    if len(flight) >= IN_FLIGHT:
                        settled = await _land(flight, statistics)
                    if settled is not None:
                        state = settled.state
                    pending = [op.salesforce_id for op in batch.ops
                               if op.link is None and op.salesforce_id]
                    carried = [sf_id for f in flight for sf_id in f.pending]
                    await _checkpoint(row, {**state, "pending": carried + pending}, settled)
                    tail.add(chunk)
                    processed += len(chunk)
                    last = chunk[-1]
                    done = {
                        "after": cursors.salesforce_text(last["SystemModstamp"], last["Id"]),
                        "processed": processed,
                        "pending": [],
                    }
                    if batch.ops:
                        await engine.value_lists()  # once, before writes run side by side
                    before = flight[-1].task if flight else None
                    task = asyncio.create_task(_write_and_record(
                        engine, batch, engine.lookups.snapshot(), before, processed, total))
                    flight.append(_InFlight(task, pending, done, tail.count, read_at))
        if then is not None:
            await then()
        while flight:
            settled = await _land(flight, statistics)
            state = settled.state
    finally:
        if flight:  # stopped by an error: let the batches under way finish anyway
            await asyncio.wait([f.task for f in flight])
            for f in flight:
                if not f.task.cancelled():
                    f.task.exception()
    failed = engine.retry.get(entity, {}).get(store.SALESFORCE, set())
    await _checkpoint(row, {**state, "done": True}, settled,
                      retry=[[sf_id, 1] for sf_id in sorted(failed)])
    fm_row = await store.cursor(engine.org_id, entity, store.FORCEMANAGER)
    # Incremental reads start a little before this (incremental.OVERLAP).
    await store.save_cursor(fm_row, datetime.now(UTC).isoformat())


class ReadAhead(Generic[T]):
    """The same pages, the next one read while the caller works on this one: a load used to
    wait for every Salesforce page with nothing else to do. Reading starts when this is
    made; one page ahead at most, so memory stays flat."""

    def __init__(self, pages: AsyncIterator[T]) -> None:
        self._source = aiter(pages)
        self._ahead: asyncio.Future[T] | None = asyncio.ensure_future(anext(self._source))

    def __aiter__(self) -> ReadAhead[T]:
        return self

    async def __anext__(self) -> T:
        if self._ahead is None:
            raise StopAsyncIteration
        try:
            page = await self._ahead
        except StopAsyncIteration:
            self._ahead = None
            raise
        self._ahead = asyncio.ensure_future(anext(self._source))
        return page

    async def aclose(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.cancel()
            await asyncio.wait([ahead])
            if not ahead.cancelled():
                ahead.exception()  # retrieved, not raised: the caller stopped for its reason
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()


async def _batch(engine: Engine, entity: Entity, chunk: list[dict[str, Any]]) -> Batch:
    emap = engine.maps[entity]
    links = await store.links_by_salesforce(engine.org_id, entity, [r["Id"] for r in chunk])
    await prefetch_salesforce_parents(engine, entity, chunk)
    batch = Batch(entity)
    for record in chunk:
        link = links.get(record["Id"])
        if link is not None and link.synced_values:
            continue  # loaded by an earlier, interrupted run
        values = from_salesforce(emap, record)
        batch.ops.append(
            Op(
                SyncAction.UPDATED if link else SyncAction.CREATED,
                Flow.SALESFORCE_TO_FORCEMANAGER,
                link,
                values=values,
                salesforce_id=record["Id"],
                forcemanager_id=link.forcemanager_id if link else None,
                salesforce_base=values,
                salesforce_modstamp=parse_datetime(record["SystemModstamp"]),
            )
        )
    return batch


@dataclass
class _InFlight:
    """A batch being written and recorded; the checkpoint once it is."""

    task: asyncio.Task[None]
    pending: list[str]
    state: dict[str, Any]
    tail_count: int
    read_at: str


async def _land(flight: deque[_InFlight], statistics: LinkStatistics) -> _InFlight:
    """Wait for the oldest batch under way to be recorded."""
    await flight[0].task
    landed = flight.popleft()
    await statistics.grew(len(landed.pending))
    return landed


async def _write_and_record(
    engine: Engine, batch: Batch, lookups: Lookups, before: asyncio.Task[None] | None,
    processed: int, total: int | None,
) -> None:
    written = await write(engine, batch, lookups)
    if before is not None:
        # Recorded in read order: the log, its events and the progress stay in sequence.
        # A failed earlier batch stops this one here, its records left pending.
        await before
    await record_written(engine, written)
    await engine.progress(batch.entity, processed, total)


async def _checkpoint(
    row: store.SyncCursor, load: dict[str, Any], settled: _InFlight | None, **more: Any
) -> None:
    """Save the load's state; with the cursor past `settled`, the last recorded batch."""
    if settled is None:
        await store.save_cursor(row, load=load, **more)
    else:
        await store.save_cursor(row, settled.state["after"], load=load,
                                at_cursor=settled.tail_count, read_at=settled.read_at, **more)


async def _recover_pending(engine: Engine, entity: Entity, pending: list[str]) -> None:
    """Records a crashed run may have created in ForceManager without linking them."""
    if not pending:
        return
    linked = await store.links_by_salesforce(engine.org_id, entity, pending)
    missing = [sf_id for sf_id in pending if sf_id not in linked]
    if not missing:
        return
    resource = spec_for(entity).forcemanager_resource
    wanted = set(missing)
    found: dict[str, int] = {}
    # A batch's worth per query: with batches in flight, up to IN_FLIGHT batches are pending,
    # and the filter travels in the URL.
    for start in range(0, len(missing), BATCH):
        quoted = ", ".join(f"'{sf_id}'" for sf_id in missing[start : start + BATCH])
        async for page in engine.fm.list(resource, where=f"extId IN ({quoted})"):
            for record in page:
                if not record.get("deleted") and record.get("extId") in wanted:
                    found.setdefault(record["extId"], int(record["id"]))
    await RecordLink.bulk_create(
        [
            RecordLink(
                organization_id=engine.org_id,
                entity=entity.value,
                salesforce_id=sf_id,
                forcemanager_id=fm_id,
                synced_values={},
            )
            for sf_id, fm_id in found.items()
        ]
    )
