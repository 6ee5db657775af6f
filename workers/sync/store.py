"""The engine's bookkeeping in the database: record links and cursors, read and written in
bulk (one query per page of records, never one per record)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.entities import Entity
from server.models import RecordLink, SyncCursor

SALESFORCE = "SALESFORCE"
FORCEMANAGER = "FORCEMANAGER"
# The initial sync's own checkpoint (phase, backup id) lives under this pseudo-entity.
INITIAL = "_INITIAL"


async def links_by_salesforce(
    org_id: int, entity: Entity, ids: Iterable[str]
) -> dict[str, RecordLink]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await RecordLink.filter(
        organization_id=org_id, entity=entity.value, salesforce_id__in=wanted
    )
    return {row.salesforce_id: row for row in rows}


async def links_by_forcemanager(
    org_id: int, entities: Iterable[Entity], ids: Iterable[int]
) -> dict[int, RecordLink]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await RecordLink.filter(
        organization_id=org_id,
        entity__in=[e.value for e in entities],
        forcemanager_id__in=wanted,
    )
    return {row.forcemanager_id: row for row in rows if row.forcemanager_id is not None}


async def parent_links(
    org_id: int, entity: Entity, salesforce_ids: Iterable[str]
) -> dict[str, int]:
    rows = await links_by_salesforce(org_id, entity, salesforce_ids)
    return {
        sf: link.forcemanager_id
        for sf, link in rows.items()
        if link.forcemanager_id is not None and not link.deleted
    }


async def parent_links_back(org_id: int, entity: Entity, fm_ids: Iterable[int]) -> dict[str, int]:
    rows = await links_by_forcemanager(org_id, [entity], fm_ids)
    return {link.salesforce_id: fm for fm, link in rows.items() if not link.deleted}


async def save_links(new: list[RecordLink], changed: list[RecordLink]) -> None:
    if new:
        await RecordLink.bulk_create(new)
    if changed:
        await RecordLink.bulk_update(
            changed,
            fields=[
                "forcemanager_id",
                "synced_values",
                "salesforce_modstamp",
                "forcemanager_updated",
                "deleted",
                "owner_fallback",
            ],
        )


async def cursor(org_id: int, entity: Entity | str, side: str) -> SyncCursor:
    name = entity.value if isinstance(entity, Entity) else entity
    row, _ = await SyncCursor.get_or_create(organization_id=org_id, entity=name, side=side)
    return row


async def save_cursor(row: SyncCursor, value: str | None = None, **state: Any) -> None:
    if value is not None:
        row.value = value
    row.state = {**(row.state or {}), **state}
    await row.save(update_fields=["value", "state", "updated_at"])
