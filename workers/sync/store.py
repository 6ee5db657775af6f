"""The engine's bookkeeping in the database: record links and cursors, read and written in
bulk (one query per page of records, never one per record)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.entities import Entity
from server.models import RecordLink, SyncCursor
from server.synclog.sql import insert_rows, select_in

SALESFORCE = "SALESFORCE"
FORCEMANAGER = "FORCEMANAGER"
# The initial sync's own checkpoint (phase, backup id) lives under this pseudo-entity.
INITIAL = "_INITIAL"


def _link_columns() -> list[str]:
    """The columns RecordLink._init_from_db reads (known once Tortoise is initialised)."""
    meta = RecordLink._meta
    return [key for fields in (meta.db_native_fields, meta.db_default_fields,
                               meta.db_complex_fields) for key, _, _ in fields]


async def links_by_salesforce(
    org_id: int, entity: Entity, ids: Iterable[str]
) -> dict[str, RecordLink]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await select_in(RecordLink, _link_columns(), "organization_id = {} AND entity = {}",
                           [org_id, entity.value], "salesforce_id", wanted)
    # Made as the ORM makes the rows it reads (its per-database conversions included).
    links = [RecordLink._init_from_db(**row) for row in rows]
    return {link.salesforce_id: link for link in links}


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
    wanted = list(set(salesforce_ids))
    if not wanted:
        return {}
    # Two columns, not RecordLink objects with their synced values: a batch of contacts
    # needs up to 200 of these.
    rows = await select_in(
        RecordLink, ("salesforce_id", "forcemanager_id"),
        "organization_id = {} AND entity = {} AND deleted = {} AND forcemanager_id IS NOT NULL",
        [org_id, entity.value, False], "salesforce_id", wanted,
    )
    return {row["salesforce_id"]: row["forcemanager_id"] for row in rows}


async def parent_links_back(org_id: int, entity: Entity, fm_ids: Iterable[int]) -> dict[str, int]:
    rows = await links_by_forcemanager(org_id, [entity], fm_ids)
    return {link.salesforce_id: fm for fm, link in rows.items() if not link.deleted}


@dataclass
class NewLink:
    """A record link to insert, as a row (see insert_links)."""

    entity: str
    salesforce_id: str
    forcemanager_id: int | None
    synced_values: dict[str, Any]
    salesforce_modstamp: datetime | None = None
    forcemanager_updated: datetime | None = None
    deleted: bool = False
    owner_fallback: bool = False


_LINK_COLUMNS = (
    "organization_id", "entity", "salesforce_id", "forcemanager_id", "synced_values",
    "salesforce_modstamp", "forcemanager_updated", "deleted", "owner_fallback", "updated_at",
)
# Compact JSON as the model's own encoder writes it, without to_db_value's validation pass
# (plain dicts here) and from one encoder object: json.dumps(separators=...) builds a new one
# per call, and a load encodes a link per record.
_json = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def synced_values_json(values: dict[str, Any]) -> str:
    """A link's synced values as JSON. When both sides' bases are equal (a record loaded as
    it was read: the usual case) that half is encoded once and written twice; encoding the
    links was the largest single cost of recording a load's batch. Equal as the engine
    compares bases (==), so what it reads back compares the same."""
    if len(values) == 2:
        sf, fm = values.get("salesforce"), values.get("forcemanager")
        if type(sf) is dict and sf == fm:
            half = _json(sf)
            return f'{{"salesforce":{half},"forcemanager":{half}}}'
    return _json(values)


async def insert_links(org_id: int, links: list[NewLink]) -> None:
    """One multi-row INSERT for a batch's new links (no Model object per record)."""
    now = datetime.now(UTC)
    await insert_rows(
        RecordLink,
        _LINK_COLUMNS,
        [
            (
                org_id, link.entity, link.salesforce_id, link.forcemanager_id,
                synced_values_json(link.synced_values),
                link.salesforce_modstamp, link.forcemanager_updated, link.deleted,
                link.owner_fallback, now,
            )
            for link in links
        ],
    )


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


# ForceManager records being created in Salesforce, kept per entity under this side until
# their links are stored (recover.py): a run that dies in between leaves them here.
CREATING = "CREATING_IN_SF"


async def mark_creating(org_id: int, entity: Entity, records: list[dict[str, Any]]) -> None:
    """Record, before the Salesforce create call, the ForceManager records about to be
    created ({"id", "at", "values"}, values being what ForceManager showed)."""
    row = await cursor(org_id, entity, CREATING)
    await save_cursor(row, pending=[*(row.state or {}).get("pending", []), *records])


async def creating(org_id: int, entity: Entity) -> list[dict[str, Any]]:
    """The marks a run left (an empty list costs one read, no API call)."""
    row = await SyncCursor.get_or_none(organization_id=org_id, entity=entity.value,
                                       side=CREATING)
    return list((row.state or {}).get("pending", [])) if row is not None else []


async def unmark_creating(org_id: int, entity: Entity, forcemanager_ids: Iterable[int]) -> None:
    done = set(forcemanager_ids)
    row = await cursor(org_id, entity, CREATING)
    left = [p for p in (row.state or {}).get("pending", []) if int(p["id"]) not in done]
    await save_cursor(row, pending=left)
