"""Loading, per batch, the record links that references in that batch need (one query per
referenced entity), so conversions never query the database record by record."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from server.entities import Entity
from workers.sync import store
from workers.sync.context import Engine
from workers.sync.convert import reference_id


async def prefetch_salesforce_parents(
    engine: Engine, entity: Entity, records: list[dict[str, Any]]
) -> None:
    """Starts a batch: the links of the previous one are dropped first."""
    engine.lookups.forget_links()
    wanted: dict[Entity, set[str]] = defaultdict(set)
    for field in engine.maps[entity].fields:
        for parent, prefix, _ in field.targets:
            known = engine.lookups.links.get(parent, {})
            wanted[parent] |= {
                value for r in records
                if (value := r.get(field.key)) and value.startswith(prefix) and value not in known
            }
    for parent, ids in wanted.items():
        if ids:
            engine.lookups.add_links(parent, await store.parent_links(engine.org_id, parent, ids))


async def prefetch_forcemanager_parents(
    engine: Engine, entity: Entity, records: list[dict[str, Any]]
) -> None:
    """Adds to what prefetch_salesforce_parents loaded for the same batch."""
    wanted: dict[Entity, set[int]] = defaultdict(set)
    for field in engine.maps[entity].fields:
        for parent_entity, _, name in field.targets:
            wanted[parent_entity] |= {
                parent for r in records if (parent := reference_id(r.get(name))) is not None
            }
    for parent, ids in wanted.items():
        if ids:
            engine.lookups.add_links(
                parent, await store.parent_links_back(engine.org_id, parent, ids)
            )
