"""Turning one pair of changes (a Salesforce record, a ForceManager record, their link)
into the writes that bring both sides in step: creations, deletions with their tie-breaks,
and the three-way merge for records alive on both sides."""

from __future__ import annotations

from typing import Any

from server.entities import Entity, Flow
from server.models import RecordLink, SyncAction
from workers.sync.apply import Batch, Op, bases, set_bases
from workers.sync.context import Engine
from workers.sync.convert import parse_datetime
from workers.sync.mapping import from_forcemanager, from_salesforce, record_name
from workers.sync.merge import Merge, merge


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
                  salesforce_modstamp=modstamp, forcemanager_updated=fm_updated)
    # A record changed on both sides gets one write each way, and the two may go out in
    # different requests (the engine fills requests of 200 across a tick). Each write
    # stores only the new bases of the fields it does not leave to the other: if the other
    # fails, or the run dies before it, its fields still differ from their base and the
    # next tick sends them again.
    if result.to_forcemanager:
        batch.ops.append(
            Op(SyncAction.UPDATED, Flow.SALESFORCE_TO_FORCEMANAGER, link,
               values=result.to_forcemanager, conflicts=result.conflicts or None,
               **_bases_besides(result, result.to_salesforce), **common)
        )
    if result.to_salesforce:
        batch.ops.append(
            Op(SyncAction.UPDATED, Flow.FORCEMANAGER_TO_SALESFORCE, link,
               values=result.to_salesforce,
               **_bases_besides(result, result.to_forcemanager), **common)
        )
    if result.empty:
        new_sf = {**sf_base, **result.salesforce_base}
        new_fm = {**fm_base, **result.forcemanager_base}
        if new_sf != sf_base or new_fm != fm_base:
            set_bases(link, new_sf, new_fm)
            batch.quiet.append(link)


def _bases_besides(result: Merge, other: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The merge's new bases without the fields the other write carries."""
    return {
        "salesforce_base": {k: v for k, v in result.salesforce_base.items() if k not in other},
        "forcemanager_base": {
            k: v for k, v in result.forcemanager_base.items() if k not in other
        },
    }
