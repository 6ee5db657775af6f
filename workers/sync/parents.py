"""Loading, per batch, the record links that references in that batch need (one query per
referenced entity), so conversions never query the database record by record."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from server.entities import Entity
from workers.sync import store
from workers.sync.context import Engine
from workers.sync.convert import reference_id
from workers.sync.fields import Kind


async def prefetch_salesforce_parents(
    engine: Engine, entity: Entity, records: list[dict[str, Any]]
) -> None:
    wanted: dict[Entity, set[str]] = defaultdict(set)
    for field in engine.maps[entity].fields:
        if field.kind is Kind.REFERENCE and field.reference is not None:
            known = engine.lookups.links.get(field.reference, {})
            wanted[field.reference] |= {
                r[field.key] for r in records if r.get(field.key) and r[field.key] not in known
            }
    for parent, ids in wanted.items():
        if ids:
            engine.lookups.add_links(parent, await store.parent_links(engine.org_id, parent, ids))


async def prefetch_forcemanager_parents(
    engine: Engine, entity: Entity, records: list[dict[str, Any]]
) -> None:
    wanted: dict[Entity, set[int]] = defaultdict(set)
    for field in engine.maps[entity].fields:
        if field.kind is Kind.REFERENCE and field.reference is not None:
            name = field.forcemanager_fields[0]
            wanted[field.reference] |= {
                parent for r in records if (parent := reference_id(r.get(name))) is not None
            }
    for parent, ids in wanted.items():
        if ids:
            engine.lookups.add_links(
                parent, await store.parent_links_back(engine.org_id, parent, ids)
            )
