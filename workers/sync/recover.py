"""Finishing the Salesforce creates of a run that died.

Before ForceManager records are created in Salesforce, apply.py marks them (store.CREATING,
with the time and the values ForceManager showed); the marks go once their links are
stored. A run that finds marks left behind looks, before anything else of the entity, for
the Salesforce records the dead run may have made and links them instead of creating them
again: by the `extId` when it was written, otherwise with one query for the records the
integration's user created since the mark, matched by the values the create sent.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from server.clients.salesforce import soql as sq
from server.entities import Entity, Flow, spec_for
from server.models import SyncAction, SyncStatus
from server.synclog.service import LogRecord
from workers.sync import store
from workers.sync.apply import salesforce_create_defaults
from workers.sync.context import Engine
from workers.sync.convert import parse_datetime
from workers.sync.fields import EntityMap, Kind
from workers.sync.mapping import from_salesforce, record_name, to_salesforce

SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
# Our clock against Salesforce's CreatedDate.
SKEW = timedelta(minutes=2)


async def recover_creates(
    engine: Engine, entity: Entity, fm_changes: dict[int, dict[str, Any]]
) -> None:
    """Link the marked records a dead run created in Salesforce. The marked records not
    found there are put in `fm_changes` (read by id if needed), so the tick creates them."""
    pending = await store.creating(engine.org_id, entity)
    if not pending:
        return
    resource = spec_for(entity).forcemanager_resource
    sharing = [e for e in engine.entities if spec_for(e).forcemanager_resource == resource]
    ids = [int(p["id"]) for p in pending]
    linked = await store.links_by_forcemanager(engine.org_id, sharing, ids)
    first: dict[int, dict[str, Any]] = {}  # one mark per record: the earliest
    for p in pending:
        first.setdefault(int(p["id"]), p)
    todo = [p for fm_id, p in first.items() if fm_id not in linked]
    if todo:
        await _link_found(engine, entity, todo, fm_changes)
    await store.unmark_creating(engine.org_id, entity, ids)


async def _link_found(
    engine: Engine,
    entity: Entity,
    todo: list[dict[str, Any]],
    fm_changes: dict[int, dict[str, Any]],
) -> None:
    spec = spec_for(entity)
    emap = engine.maps[entity]
    unread = [int(p["id"]) for p in todo if int(p["id"]) not in fm_changes]
    if unread:
        where = f"id IN ({', '.join(str(i) for i in unread)})"
        async for page in engine.fm.list(spec.forcemanager_resource, where=where,
                                         include_deleted=True):
            for record in page:
                fm_changes.setdefault(int(record["id"]), record)
    by_ext = {
        int(p["id"]): str(fm_changes[int(p["id"])]["extId"])
        for p in todo
        if SALESFORCE_ID.match(str((fm_changes.get(int(p["id"])) or {}).get("extId") or ""))
    }
    select = (f"SELECT Id, SystemModstamp, IsDeleted, {', '.join(emap.salesforce_fields)} "
              f"FROM {sq.name(spec.salesforce_object)}")
    found: dict[int, dict[str, Any]] = {}
    if by_ext:
        quoted = ", ".join(f"'{sq.record_id(i)}'" for i in set(by_ext.values()))
        rows = {r["Id"]: r async for page in engine.sf.query(
            f"{select} WHERE Id IN ({quoted})", include_deleted=True) for r in page}
        found.update({fm: rows[sf] for fm, sf in by_ext.items() if sf in rows})
    search = [p for p in todo if int(p["id"]) not in by_ext]
    if search:
        since = min(parse_datetime(p["at"]) for p in search) - SKEW
        where = f"CreatedDate >= {sq.datetime_literal(since)}"
        user = engine.sf.session.user_id
        if user:
            where += f" AND CreatedById = '{sq.record_id(user)}'"
        # Creation order: records with the same values pair up in the order they were sent.
        candidates = [r async for page in engine.sf.query(
            f"{select} WHERE {where} ORDER BY CreatedDate, Id", include_deleted=True)
            for r in page]
        taken = await store.links_by_salesforce(engine.org_id, entity,
                                                [c["Id"] for c in candidates])
        free = [c for c in candidates if c["Id"] not in taken]
        required = salesforce_create_defaults(entity)
        kinds = dict(emap.kinds)
        for p in search:
            sent = _sent(emap, p["values"], required)
            for candidate in free:
                values = from_salesforce(emap, candidate)
                if all(_same(kinds.get(key), values.get(key), value)
                       for key, value in sent.items()):
                    found[int(p["id"])] = candidate
                    free.remove(candidate)
                    break
    if not found:
        return
    known = await store.links_by_salesforce(engine.org_id, entity,
                                            [r["Id"] for r in found.values()])
    links: list[store.NewLink] = []
    logs: list[LogRecord] = []
    ext_ids: list[dict[str, Any]] = []
    for p in todo:
        fm_id = int(p["id"])
        row = found.get(fm_id)
        if row is None or row["Id"] in known:
            continue
        fm_record = fm_changes.get(fm_id) or {}
        if by_ext.get(fm_id) != row["Id"] and fm_record and not fm_record.get("deleted"):
            ext_ids.append({"id": fm_id, "extId": row["Id"]})
        links.append(store.NewLink(
            entity=entity.value,
            salesforce_id=row["Id"],
            forcemanager_id=fm_id,
            synced_values={"salesforce": from_salesforce(emap, row),
                           "forcemanager": dict(p["values"])},
            salesforce_modstamp=parse_datetime(row["SystemModstamp"]),
            forcemanager_updated=parse_datetime(p["updated"]) if p.get("updated") else None,
        ))
        logs.append(LogRecord(
            entity=entity.value, action=SyncAction.CREATED,
            direction=Flow.FORCEMANAGER_TO_SALESFORCE, status=SyncStatus.SUCCESS,
            salesforce_id=row["Id"], forcemanager_id=fm_id,
            record_name=record_name(emap, p["values"]),
        ))
    if ext_ids:
        # The extId first: should this run die too, the next one links by it.
        await engine.fm.bulk_update(spec.forcemanager_resource, ext_ids)
    await store.insert_links(engine.org_id, links)
    await engine.log(logs)


def _same(kind: Kind | None, stored: Any, sent: Any) -> bool:
    if kind is Kind.BOOL:
        return bool(stored) == bool(sent)  # a Salesforce checkbox is never empty: false
    return stored == sent


def _sent(emap: EntityMap, values: dict[str, Any], required: dict[str, Any]) -> dict[str, Any]:
    """The canonical values the create sent for these ForceManager values. Fields only the
    create's defaults fill (a close date of today + 30 days) are left out: they depend on
    the day the create ran."""
    out = to_salesforce(emap, values)
    return {key: value for key, value in out.readback.items()
            if not (key in required and out.payload.get(key) is None)}
