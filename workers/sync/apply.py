"""Carrying out one batch of decided writes for one entity, in bulk, and recording them:
the ForceManager / Salesforce bulk calls, the record links' new bases, one log entry per
record. A failed record is logged and left as it was (the engine tries it again on the
next ticks); the others go on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server.clients.errors import RecordResult
from server.entities import Entity, Flow, spec_for
from server.models import RecordLink, SyncAction, SyncStatus
from server.synclog.service import LogRecord
from workers.sync import store
from workers.sync.context import Engine
from workers.sync.fields import Kind
from workers.sync.mapping import (
    Lookups,
    created_readback,
    from_salesforce,
    record_name,
    to_forcemanager,
    to_salesforce,
)

BATCH = 200  # sObject Collections' and ForceManager bulk's largest request


@dataclass
class Op:
    """One record's write on one side. `link` is None for a record not linked yet."""

    action: SyncAction
    flow: Flow
    link: RecordLink | None
    values: dict[str, Any] = field(default_factory=dict)  # canonical values to write
    salesforce_id: str | None = None
    forcemanager_id: int | None = None
    name: str | None = None
    conflicts: dict[str, Any] | None = None
    # Bases to store once the write succeeds (merged into the link's synced_values).
    salesforce_base: dict[str, Any] = field(default_factory=dict)
    forcemanager_base: dict[str, Any] = field(default_factory=dict)
    salesforce_modstamp: datetime | None = None
    forcemanager_updated: datetime | None = None


@dataclass
class Batch:
    entity: Entity
    ops: list[Op] = field(default_factory=list)
    # Links whose bases change with no write (both sides agreed, or a pure echo with news).
    quiet: list[RecordLink] = field(default_factory=list)


def bases(link: RecordLink | None) -> tuple[dict[str, Any], dict[str, Any]]:
    values = (link.synced_values if link else None) or {}
    return dict(values.get("salesforce") or {}), dict(values.get("forcemanager") or {})


def set_bases(link: RecordLink, salesforce: dict[str, Any], forcemanager: dict[str, Any]) -> None:
    link.synced_values = {"salesforce": salesforce, "forcemanager": forcemanager}


@dataclass
class Written:
    """What a batch's writes leave to record: new and changed links, log entries."""

    new_links: list[store.NewLink] = field(default_factory=list)
    changed: list[RecordLink] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    # ForceManager records marked as being created in Salesforce (store.mark_creating):
    # unmarked once their links are stored.
    entity: Entity | None = None
    creating: list[int] = field(default_factory=list)


async def apply(engine: Engine, batch: Batch) -> None:
    await record_written(engine, await write(engine, batch))


async def record_written(engine: Engine, written: Written) -> None:
    """Store the links and the log of writes already made. Separate from write() so that a
    load can record one batch while the next one is being written."""
    await store.insert_links(engine.org_id, written.new_links)
    await store.save_links([], written.changed)
    await engine.log(written.logs)
    if written.creating and written.entity is not None:
        await store.unmark_creating(engine.org_id, written.entity, written.creating)


async def write(engine: Engine, batch: Batch, lookups: Lookups | None = None) -> Written:
    """The batch's calls to both sides; the links and log entries to store for them.
    `lookups`: the batch's own (Lookups.snapshot) when another batch is being prepared."""
    if not batch.ops and not batch.quiet:
        return Written()
    await engine.value_lists()
    lookups = engine.lookups if lookups is None else lookups
    resource = spec_for(batch.entity).forcemanager_resource
    sobject = spec_for(batch.entity).salesforce_object
    emap = engine.maps[batch.entity]
    logs: list[LogRecord] = []
    new_links: list[store.NewLink] = []
    changed: dict[int, RecordLink] = {link.id: link for link in batch.quiet}

    def record(op: Op, result: RecordResult, fallback: bool = False) -> None:
        if not result.success:
            # Retried on the next ticks from the side the change came from.
            if op.flow is Flow.SALESFORCE_TO_FORCEMANAGER:
                engine.failed_write(batch.entity, store.SALESFORCE, op.salesforce_id)
            else:
                engine.failed_write(batch.entity, store.FORCEMANAGER, op.forcemanager_id)
        logs.append(
            LogRecord(
                entity=batch.entity.value,
                action=op.action,
                direction=op.flow,
                status=SyncStatus.SUCCESS if result.success else SyncStatus.ERROR,
                salesforce_id=op.salesforce_id,
                forcemanager_id=op.forcemanager_id,
                record_name=op.name or record_name(emap, op.values),
                error_code=None if result.success else (result.error_code or "ERROR"),
                error_message=None if result.success else result.message,
                conflicts=op.conflicts or None,
                owner_fallback=fallback,
            )
        )

    def succeeded(
        op: Op, sf_readback: dict[str, Any], fm_readback: dict[str, Any],
        owner_fallback: bool | None = None,
    ) -> None:
        sf_base, fm_base = bases(op.link)
        sf_base.update(op.salesforce_base)
        sf_base.update(sf_readback)
        fm_base.update(op.forcemanager_base)
        fm_base.update(fm_readback)
        link = op.link
        if link is None:
            assert op.salesforce_id is not None
            # A plain row, not a RecordLink: building a Model per record cost more than
            # its insert (bench: python -m bench --only initial).
            new_links.append(
                store.NewLink(
                    entity=batch.entity.value,
                    salesforce_id=op.salesforce_id,
                    forcemanager_id=op.forcemanager_id,
                    synced_values={"salesforce": sf_base, "forcemanager": fm_base},
                    salesforce_modstamp=op.salesforce_modstamp,
                    forcemanager_updated=op.forcemanager_updated,
                    deleted=op.action is SyncAction.DELETED,
                    owner_fallback=bool(owner_fallback),
                )
            )
            return
        changed[link.id] = link
        link.forcemanager_id = op.forcemanager_id
        set_bases(link, sf_base, fm_base)
        link.deleted = op.action is SyncAction.DELETED
        if owner_fallback is not None:
            link.owner_fallback = owner_fallback
        if op.salesforce_modstamp is not None:
            link.salesforce_modstamp = op.salesforce_modstamp
        if op.forcemanager_updated is not None:
            link.forcemanager_updated = op.forcemanager_updated

    # -- Salesforce → ForceManager -----------------------------------------------------
    creates = [op for op in batch.ops if op.flow is Flow.SALESFORCE_TO_FORCEMANAGER
               and op.action is SyncAction.CREATED]
    updates = [op for op in batch.ops if op.flow is Flow.SALESFORCE_TO_FORCEMANAGER
               and op.action is SyncAction.UPDATED]
    deletes = [op for op in batch.ops if op.flow is Flow.SALESFORCE_TO_FORCEMANAGER
               and op.action is SyncAction.DELETED]
    defaults = engine.defaults(batch.entity)
    for chunk in _chunks(creates):
        outgoing = [to_forcemanager(emap, op.values, lookups) for op in chunk]
        payloads = [
            {**defaults, **out.payload, "extId": op.salesforce_id}
            for op, out in zip(chunk, outgoing, strict=True)
        ]
        results = await engine.fm.bulk_create(resource, payloads)
        for op, out, payload, result in zip(chunk, outgoing, payloads, results, strict=True):
            if result.success:
                op.forcemanager_id = int(result.id) if result.id is not None else None
                readback = created_readback(emap, out, payload, lookups)
                succeeded(op, {}, readback, out.owner_fallback)
            record(op, result, out.owner_fallback)
    for chunk in _chunks(updates):
        outgoing = [to_forcemanager(emap, op.values, lookups) for op in chunk]
        results = await engine.fm.bulk_update(
            resource,
            [{**out.payload, "id": op.forcemanager_id} for op, out in zip(chunk, outgoing,
                                                                          strict=True)],
        )
        for op, out, result in zip(chunk, outgoing, results, strict=True):
            if result.success:
                owner_written = any(f.kind is Kind.OWNER for f in emap.fields
                                    if f.key in op.values)
                succeeded(op, {}, out.readback,
                          out.owner_fallback if owner_written else None)
            record(op, result, out.owner_fallback)
    for chunk in _chunks(deletes):
        results = await engine.fm.bulk_delete(resource, [op.forcemanager_id for op in chunk])
        for op, result in zip(chunk, results, strict=True):
            if result.success or result.error_code == "NOT_FOUND":
                result = RecordResult(result.id, True)
                succeeded(op, {}, {})
            record(op, result)

    # -- ForceManager → Salesforce -----------------------------------------------------
    sf_creates = [op for op in batch.ops if op.flow is Flow.FORCEMANAGER_TO_SALESFORCE
                  and op.action is SyncAction.CREATED]
    sf_updates = [op for op in batch.ops if op.flow is Flow.FORCEMANAGER_TO_SALESFORCE
                  and op.action is SyncAction.UPDATED]
    sf_deletes = [op for op in batch.ops if op.flow is Flow.FORCEMANAGER_TO_SALESFORCE
                  and op.action is SyncAction.DELETED]
    required = salesforce_create_defaults(batch.entity)
    creating: list[int] = []
    for chunk in _chunks(sf_creates):
        outgoing = [to_salesforce(emap, op.values) for op in chunk]
        payloads = [
            {**out.payload, **{k: v for k, v in required.items() if out.payload.get(k) is None}}
            for out in outgoing
        ]
        # A run that dies after this call but before the links are stored leaves these
        # marks; the next run looks for the records it made instead of creating them again.
        at = datetime.now(UTC).isoformat()
        ids = [op.forcemanager_id for op in chunk if op.forcemanager_id is not None]
        await store.mark_creating(engine.org_id, batch.entity, [
            {"id": op.forcemanager_id, "at": at, "values": op.forcemanager_base,
             "updated": op.forcemanager_updated.isoformat() if op.forcemanager_updated
             else None}
            for op in chunk if op.forcemanager_id is not None
        ])
        creating.extend(ids)
        results = await engine.sf.create(sobject, payloads)
        ext_ids: list[dict[str, Any]] = []
        # Salesforce fills in what we left out (owner, defaults): read the new records back
        # so their next appearance in the change feed is recognised as our own write.
        made = [str(r.id) for r in results if r.success]
        stored = await _read_back(engine, sobject, emap.salesforce_fields, made)
        for op, out, result in zip(chunk, outgoing, results, strict=True):
            if result.success:
                op.salesforce_id = str(result.id)
                readback = {key: None for key in emap.salesforce_fields} | out.readback
                if op.salesforce_id in stored:
                    readback = from_salesforce(emap, stored[op.salesforce_id])
                succeeded(op, readback, {})
                ext_ids.append({"id": op.forcemanager_id, "extId": op.salesforce_id})
            record(op, result)
        if ext_ids:
            # extId ties the ForceManager record to its new twin even if our link is lost.
            await engine.fm.bulk_update(resource, ext_ids)
    for chunk in _chunks(sf_updates):
        outgoing = [to_salesforce(emap, op.values) for op in chunk]
        pending = [(op, out) for op, out in zip(chunk, outgoing, strict=True) if out.payload]
        for op, out in zip(chunk, outgoing, strict=True):
            if not out.payload:  # nothing Salesforce can hold: just remember the new bases
                succeeded(op, {}, {})
        if not pending:
            continue
        results = await engine.sf.update(
            sobject, [{**out.payload, "Id": op.salesforce_id} for op, out in pending]
        )
        gone: list[Op] = []
        for (op, out), result in zip(pending, results, strict=True):
            if result.error_code == "ENTITY_IS_DELETED":
                gone.append(op)  # deleted in Salesforce meanwhile: that deletion wins
                continue
            if result.success:
                succeeded(op, out.readback, {})
            record(op, result)
        if gone:
            results = await engine.fm.bulk_delete(resource, [op.forcemanager_id for op in gone])
            for op, result in zip(gone, results, strict=True):
                deletion = Op(SyncAction.DELETED, Flow.SALESFORCE_TO_FORCEMANAGER, op.link,
                              salesforce_id=op.salesforce_id,
                              forcemanager_id=op.forcemanager_id, name=op.name)
                if result.success or result.error_code == "NOT_FOUND":
                    result = RecordResult(result.id, True)
                    succeeded(deletion, {}, {})
                record(deletion, result)
    for chunk in _chunks(sf_deletes):
        results = await engine.sf.delete([op.salesforce_id for op in chunk])
        for op, result in zip(chunk, results, strict=True):
            if result.success or result.error_code in ("ENTITY_IS_DELETED", "NOT_FOUND"):
                result = RecordResult(result.id, True)
                succeeded(op, {}, {})
            record(op, result)

    return Written(new_links, [link for link in changed.values() if link.id], logs,
                   batch.entity, creating)


def salesforce_create_defaults(entity: Entity) -> dict[str, Any]:
    """Values Salesforce requires on create that a ForceManager record may lack."""
    now = datetime.now(UTC)
    if entity is Entity.OPPORTUNITY:
        # ForceManager's forecast date is optional; Salesforce's close date is not.
        return {"CloseDate": (now + timedelta(days=30)).date().isoformat()}
    if entity is Entity.EVENT:
        start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return {"ActivityDateTime": start.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "DurationInMinutes": 60}
    return {}


async def _read_back(
    engine: Engine, sobject: str, fields: list[str], ids: list[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    quoted = ", ".join(f"'{i}'" for i in ids)
    soql = f"SELECT Id, {', '.join(fields)} FROM {sobject} WHERE Id IN ({quoted})"
    return {r["Id"]: r async for page in engine.sf.query(soql) for r in page}


def _chunks(ops: list[Op]) -> list[list[Op]]:
    return [ops[i : i + BATCH] for i in range(0, len(ops), BATCH)]
