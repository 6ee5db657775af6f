"""An incremental tick: what changed on either side since the cursors, paired through the
record links, resolved by the three-way merge, written in full requests (Writes).

Salesforce is probed first with one Composite call counting the changes of every synced
object; only objects with changes are read. A tick with nothing to do therefore costs one
Salesforce call (plus one empty ForceManager page per bidirectional entity).
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server.clients.errors import PermanentError
from server.entities import Entity, Flow, spec_for
from server.models import RecordLink, SyncAction
from workers.sync import apply as apply_module
from workers.sync import cursors, probe, store, value_lists
from workers.sync.apply import Batch, Op, record_written, write
from workers.sync.context import Engine
from workers.sync.convert import parse_datetime
from workers.sync.decide import decide
from workers.sync.extra_fields import ensure_extra_fields
from workers.sync.mapping import Lookups, from_forcemanager
from workers.sync.parents import prefetch_forcemanager_parents, prefetch_salesforce_parents
from workers.sync.recover import SALESFORCE_ID, recover_creates
from workers.sync.upkeep import mind_the_deleted_window, retries, save_retries

log = logging.getLogger(__name__)

# Re-read a little before each cursor: rows committed late with an earlier timestamp are not
# missed, and echo suppression makes the re-read rows cost nothing but the read.
OVERLAP = timedelta(minutes=2)
# How long after a second ends before no more rows get stamped with it (clock skew
# between us and Salesforce included).
SECOND_SETTLED = timedelta(seconds=5)
# ForceManager stamps dateUpdated when it writes; a write still in flight when a read
# begins gets a stamp at most this long before the server's clock at the read (`Date`,
# whole seconds, rounded down). The next read starts there instead of OVERLAP before the
# newest change, so a quiet tick reads one short page per resource, not the last minutes.
FM_SETTLED = timedelta(seconds=5)
UNKNOWN = datetime.min.replace(tzinfo=UTC)  # a read whose answer had no Date header


async def run_incremental(engine: Engine) -> None:
    entities = engine.entities
    sf_rows = {e: await store.cursor(engine.org_id, e, store.SALESFORCE) for e in entities}
    probes: dict[str, probe.Cursor | None] = {}
    young: set[Entity] = set()
    for entity, row in sf_rows.items():
        at = cursors.salesforce(row.value)
        seen = int((row.state or {}).get("at_cursor", 0))
        probes[spec_for(entity).salesforce_object] = (
            None if at is None else probe.Cursor(at[0], seen)
        )
        state = row.state or {}
        read_at = state.get("read_at")
        if (
            at is not None
            and read_at
            and parse_datetime(read_at) - at[0] < SECOND_SETTLED
            and state.get("rechecked") != row.value
        ):
            # The last read came while the cursor's second was still open: a row stamped
            # later in that second looks unchanged to the counts. Read the overlap again,
            # once for this cursor.
            young.add(entity)
    changed = await probe.changed(engine.sf, probes)
    for entity in young:
        changed[spec_for(entity).salesforce_object] = True
    reads: dict[str, ForceManagerRead] = {}  # ForceManager reads that entities share
    for entity in entities:
        sf_changed = changed[spec_for(entity).salesforce_object]
        try:
            try:
                await sync_entity(engine, entity, sf_rows[entity], sf_changed, reads)
            except PermanentError as exc:
                if exc.code != "INVALID_FIELD":
                    raise
                # A custom field we map was deleted or renamed in Salesforce.
                await ensure_extra_fields(engine, entity)
                await sf_rows[entity].refresh_from_db()  # it keeps the new field list
                await sync_entity(engine, entity, sf_rows[entity], sf_changed)
            await mind_the_deleted_window(engine, entity, sf_rows[entity])
        except PermanentError as exc:
            # This entity cannot be read or written as configured; the others go on.
            log.warning("org %s: %s skipped this run: %s", engine.org_id, entity, exc.code)
            engine.entity_errors.append(f"{entity.value}: {exc.code}: {exc.message}")


def forcemanager_since(fm_row: Any) -> datetime | None:
    """Where a ForceManager change read starts (strictly after): FM_SETTLED before the
    server's clock at the last read, or, when that is not known (the cursor the initial
    load leaves, a server that sends no Date), OVERLAP before the newest change seen."""
    read_from = (fm_row.state or {}).get("read_from")
    if read_from:
        return parse_datetime(read_from)
    since = cursors.forcemanager(fm_row.value)
    return None if since is None else since - OVERLAP


def owns_new_forcemanager_records(engine: Engine, entity: Entity) -> bool:
    """Task and Event share ForceManager's activities: one created in ForceManager becomes a
    Task (an Event when only Event is synced both ways)."""
    resource = spec_for(entity).forcemanager_resource
    sharing = [
        e for e in engine.entities
        if spec_for(e).forcemanager_resource == resource and engine.bidirectional(e)
    ]
    return bool(sharing) and sharing[0] is entity


@dataclass
class ForceManagerRead:
    records: list[dict[str, Any]]
    latest: datetime | None  # the newest dateUpdated read
    answered: datetime | None  # ForceManager's clock when the read began (UNKNOWN: not said)
    users_left: int  # entities sharing the resource that have not taken it yet


# Chunks decided while some write waits for a full request (10,000 rows); past this the
# waiting writes go out anyway. Bounds the links kept for them and how far the Salesforce
# cursor trails the rows read (a run that dies reads those rows again).
MAX_WAITING_CHUNKS = 50


@dataclass
class _Mark:
    """Salesforce rows read up to a cursor position: the cursor may move there once the
    writes to ForceManager and the new bases those rows decided are stored."""

    cursor: str
    at_cursor: int
    waiting: int


@dataclass
class Writes:
    """The writes one entity's tick decides, sent in full requests.

    Writes wait per kind (direction and action, the requests apply.write makes) until BATCH
    of a kind are ready, so a tick's N writes of a kind take ⌈N/BATCH⌉ requests however its
    changes fall across the rows read: a record that changed on both sides, decided with
    the Salesforce rows, writes to Salesforce in the same requests as ForceManager's other
    changes. Writes to Salesforce need no guard on the Salesforce cursor: the ForceManager
    cursor moves only at the end of the entity, so a run that dies reads their ForceManager
    side again (decide gives each write only the bases of its own fields).
    """

    engine: Engine
    entity: Entity
    sf_row: Any
    waiting: dict[tuple[Flow, SyncAction], list[Op]] = field(
        default_factory=lambda: defaultdict(list)
    )
    quiet: list[RecordLink] = field(default_factory=list)
    lookups: Lookups = field(init=False)  # the parent links the waiting writes need
    marks: deque[_Mark] = field(default_factory=deque)
    holds: dict[int, _Mark] = field(default_factory=dict)  # id() of what a mark waits for
    chunks: int = 0  # decided since nothing was waiting

    def __post_init__(self) -> None:
        self.lookups = self.engine.lookups.snapshot()
        self.lookups.forget_links()

    async def add(self, batch: Batch, mark: tuple[str, int] | None = None) -> None:
        """Take a chunk's decisions (made with engine.lookups' current links). `mark`: the
        Salesforce cursor after the chunk's rows."""
        for entity, pairs in self.engine.lookups.links.items():
            self.lookups.add_links(entity, pairs)
        held = None if mark is None else _Mark(mark[0], mark[1], 0)
        for op in batch.ops:
            self.waiting[(op.flow, op.action)].append(op)
            if held is not None and op.flow is Flow.SALESFORCE_TO_FORCEMANAGER:
                self._hold(held, op)
        for link in batch.quiet:
            self.quiet.append(link)
            if held is not None:
                self._hold(held, link)
        if held is not None:
            self.marks.append(held)
        self.chunks += 1
        size = apply_module.BATCH
        for kind in list(self.waiting):
            while len(self.waiting[kind]) >= size:
                await self._send({kind: size})
        if len(self.quiet) >= size:
            await self._send({})
        if self.chunks >= MAX_WAITING_CHUNKS:
            await self.flush()
        await self._move_cursor()

    async def flush(self) -> None:
        """Send everything still waiting (at the end of the entity)."""
        if any(self.waiting.values()) or self.quiet:
            await self._send({kind: len(ops) for kind, ops in self.waiting.items()})
        await self._move_cursor()

    def _hold(self, mark: _Mark, item: object) -> None:
        if id(item) not in self.holds:  # counted once, released once
            mark.waiting += 1
            self.holds[id(item)] = mark

    async def _send(self, counts: dict[tuple[Flow, SyncAction], int]) -> None:
        """One apply of the first `counts[kind]` waiting writes of each kind, with every
        waiting quiet link."""
        batch = Batch(self.entity, quiet=self.quiet)
        self.quiet = []
        for kind, count in counts.items():
            batch.ops += self.waiting[kind][:count]
            self.waiting[kind] = self.waiting[kind][count:]
        await record_written(self.engine, await write(self.engine, batch, self.lookups))
        for item in (*batch.ops, *batch.quiet):
            held = self.holds.pop(id(item), None)
            if held is not None:
                held.waiting -= 1
        if not any(self.waiting.values()) and not self.quiet:
            self.lookups.forget_links()
            self.chunks = 0

    async def _move_cursor(self) -> None:
        last = None
        while self.marks and self.marks[0].waiting == 0:
            last = self.marks.popleft()
        if last is not None:
            await store.save_cursor(self.sf_row, last.cursor, at_cursor=last.at_cursor)


async def _read_forcemanager(
    engine: Engine, entity: Entity, reads: dict[str, ForceManagerRead]
) -> ForceManagerRead:
    """What changed in the entity's ForceManager resource. Entities sharing a resource
    (Task and Event: activities) share one read per run, from the earlier of their starts;
    each sorts out its own records by their links."""
    resource = spec_for(entity).forcemanager_resource
    kept = reads.get(resource)
    if kept is not None:
        kept.users_left -= 1
        if kept.users_left <= 0:
            del reads[resource]
        return kept
    sharers = [e for e in engine.entities
               if spec_for(e).forcemanager_resource == resource and engine.bidirectional(e)]
    starts = [
        forcemanager_since(await store.cursor(engine.org_id, e, store.FORCEMANAGER))
        for e in sharers
    ]
    since = None if not starts or None in starts else min(s for s in starts if s is not None)
    where = None if since is None else f"dateUpdated > '{cursors.fm_literal(since)}'"
    read = ForceManagerRead([], None, None, len(sharers) - 1)
    async for page in engine.fm.list(resource, where=where, include_deleted=True):
        if read.answered is None:
            read.answered = page.server_time or UNKNOWN
        read.records.extend(page)
        for record in page:
            if record.get("dateUpdated"):
                stamp = parse_datetime(record["dateUpdated"])
                read.latest = stamp if read.latest is None else max(read.latest, stamp)
    if read.users_left > 0:
        reads[resource] = read
    return read


async def sync_entity(
    engine: Engine,
    entity: Entity,
    sf_row: Any,
    sf_changed: bool,
    reads: dict[str, ForceManagerRead] | None = None,
) -> None:
    spec = spec_for(entity)
    emap = engine.maps[entity]
    fm_changes: dict[int, dict[str, Any]] = {}
    fm_row = None
    fm_latest: datetime | None = None
    fm_answered: datetime | None = None  # ForceManager's clock when the read began
    if engine.bidirectional(entity):
        fm_row = await store.cursor(engine.org_id, entity, store.FORCEMANAGER)
        read = await _read_forcemanager(engine, entity, reads if reads is not None else {})
        fm_changes = {int(record["id"]): record for record in read.records}
        fm_latest, fm_answered = read.latest, read.answered
        # Before any change is paired: the records a dead run created in Salesforce would
        # otherwise read as new on both sides.
        await recover_creates(engine, entity, fm_changes)
    fields = [*emap.salesforce_fields, "IsDeleted"]
    seen: set[str] = set()
    sf_retry = retries(sf_row)
    fm_retry = retries(fm_row) if fm_row is not None else {}
    writes = Writes(engine, entity, sf_row)
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
            for chunk in _chunks(page):
                await _salesforce_chunk(engine, entity, chunk, fm_changes, writes)
    if sf_changed:
        await store.save_cursor(
            sf_row, read_at=datetime.now(UTC).isoformat(), rechecked=sf_row.value
        )
        after = cursors.salesforce(sf_row.value)
        start = None if after is None else (after[0] - OVERLAP, cursors.FLOOR_ID)
        tail = cursors.TailCounter()
        async for page in engine.sf.query_changes(spec.salesforce_object, fields, start,
                                                  include_deleted=True):
            # Rows already handled as retries are skipped (only those are remembered:
            # memory must not grow with the number of changes).
            rows = [r for r in page if r["Id"] not in seen]
            for chunk in _chunks(rows):
                tail.add(chunk)
                last = chunk[-1]
                # The cursor moves past these rows once their writes are made.
                mark = (cursors.salesforce_text(last["SystemModstamp"], last["Id"]), tail.count)
                await _salesforce_chunk(engine, entity, chunk, fm_changes, writes, mark)
    if fm_changes:
        for chunk in _chunks(list(fm_changes.values())):
            await _forcemanager_chunk(engine, entity, chunk, writes)
    await writes.flush()
    if fm_row is not None and (fm_latest is not None or fm_answered not in (None, UNKNOWN)):
        await store.save_cursor(
            fm_row,
            fm_latest.isoformat() if fm_latest is not None else None,
            read_from=(
                None if fm_answered in (None, UNKNOWN)
                else (fm_answered - FM_SETTLED).isoformat()
            ),
        )
    await save_retries(engine, entity, sf_row, sf_retry, fm_row, fm_retry)


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows are decided BATCH at a time (one query per batch for their links); how the
    writes are grouped into requests is up to Writes."""
    size = apply_module.BATCH
    return [rows[begin : begin + size] for begin in range(0, len(rows), size)]


async def _salesforce_chunk(
    engine: Engine,
    entity: Entity,
    records: list[dict[str, Any]],
    fm_changes: dict[int, dict[str, Any]],
    writes: Writes,
    mark: tuple[str, int] | None = None,
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
    await value_lists.before_decide(engine, entity, [p[2] for p in paired if p[2]])
    batch = Batch(entity)
    for link, record, fm_record in paired:
        decide(engine, entity, batch, link, record, fm_record)
    await value_lists.before_apply(engine, entity, batch)
    await writes.add(batch, mark)


async def _forcemanager_chunk(
    engine: Engine, entity: Entity, records: list[dict[str, Any]], writes: Writes
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
    engine.lookups.forget_links()
    await prefetch_forcemanager_parents(engine, entity, [r for _, r in mine])
    await value_lists.before_decide(engine, entity, [r for _, r in mine])
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
    await value_lists.before_apply(engine, entity, batch)
    await writes.add(batch)
