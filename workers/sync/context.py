"""Everything one run needs: the org's clients, settings, maps, lookups and the log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from server.entities import Direction, Entity, spec_for
from server.events import publish_progress
from server.models import EntitySetting, Integration, SyncRun, UserMatch
from server.synclog.service import LogRecord, write
from server.synclog.sql import update_by_id
from workers.sync import store, value_lists
from workers.sync.fields import MAPS, EntityMap, Field, custom_field
from workers.sync.mapping import Lookups

# The progress column's JSON, compact as the model writes it.
_json = json.JSONEncoder(separators=(",", ":")).encode

if TYPE_CHECKING:
    from server.clients.forcemanager import ForceManagerClient
    from server.clients.salesforce import SalesforceClient


@dataclass
class Engine:
    org_id: int
    run: SyncRun
    sf: SalesforceClient
    fm: ForceManagerClient
    redis: Redis | None
    directions: dict[Entity, Direction]
    lookups: Lookups
    maps: dict[Entity, EntityMap] = field(default_factory=dict)
    failed: int = 0
    # Entities this run had to skip, with why ("CONTACT: INVALID_FIELD: ...").
    entity_errors: list[str] = field(default_factory=list)
    # Records whose write failed in this run, per entity and source side, to try again.
    retry: dict[Entity, dict[str, set[str | int]]] = field(default_factory=dict)
    _value_lists_loaded: bool = False

    @property
    def entities(self) -> list[Entity]:
        from server.entities import in_load_order

        return in_load_order(list(self.directions))

    def bidirectional(self, entity: Entity) -> bool:
        return self.directions[entity] is Direction.BIDIRECTIONAL

    def failed_write(self, entity: Entity, side: str, record_id: str | int | None) -> None:
        if record_id is not None:
            sides = self.retry.setdefault(entity, {store.SALESFORCE: set(),
                                                   store.FORCEMANAGER: set()})
            sides[side].add(record_id)

    async def log(self, records: list[LogRecord]) -> None:
        self.failed += sum(1 for r in records if r.status.value == "ERROR")
        await write(self.redis, self.org_id, self.run.id, records)

    async def progress(self, entity: Entity, processed: int, total: int | None) -> None:
        self.run.progress = {
            **(self.run.progress or {}),
            entity.value: {"processed": processed, "total": total},
        }
        # Raw: once per batch of a load, the ORM's update cost more than the write.
        await update_by_id(SyncRun, self.run.id, {"progress": _json(self.run.progress)})
        await self.publish("PROGRESS", entity=entity.value, processed=processed, total=total)

    async def publish(self, type_: str, **fields: Any) -> None:
        if self.redis is None:
            return
        await publish_progress(
            self.redis,
            self.org_id,
            {
                "type": type_,
                "runId": self.run.id,
                "kind": self.run.kind.value,
                "at": datetime.now(UTC).isoformat(),
                **fields,
            },
        )

    async def value_lists(self) -> None:
        """Load the ForceManager value lists the maps use, once per run and only when a
        record needs converting (a tick with no changes reads none); value_lists.py keeps
        them between runs."""
        if self._value_lists_loaded:
            return
        names = {f.value_list for m in self.maps.values() for f in m.fields if f.value_list}
        names |= {vl for m in self.maps.values() for _, vl, _ in m.forcemanager_defaults}
        self.lookups.value_lists.update(await value_lists.load(self.org_id, self.fm, names))
        self._value_lists_loaded = True

    def defaults(self, entity: Entity) -> dict[str, int]:
        """Values a ForceManager create needs that Salesforce has no field for."""
        out: dict[str, int] = {}
        for fm_field, value_list, label in self.maps[entity].forcemanager_defaults:
            item = self.lookups.item_id(value_list, label) if label else None
            if item is None:
                items = self.lookups.value_lists.get(value_list) or []
                item = int(items[0]["id"]) if items else None
            if item is not None:
                out[fm_field] = item
        return out


async def load_engine(
    org_id: int,
    run: SyncRun,
    sf: SalesforceClient,
    fm: ForceManagerClient,
    redis: Redis | None,
) -> Engine:
    integration = await Integration.get(organization_id=org_id)
    settings = await EntitySetting.filter(organization_id=org_id, enabled=True)
    directions = {Entity(s.entity): s.direction for s in settings}
    directions.setdefault(Entity.ACCOUNT, Direction.SALESFORCE_TO_FORCEMANAGER)
    for entity in list(directions):
        if directions[entity] not in spec_for(entity).directions:
            directions[entity] = Direction.SALESFORCE_TO_FORCEMANAGER
    matches = await UserMatch.filter(organization_id=org_id)
    lookups = Lookups(
        owners={m.salesforce_user_id: m.forcemanager_user_id for m in matches},
        fallback_owner=integration.fallback_forcemanager_user_id,
    )
    engine = Engine(org_id, run, sf, fm, redis, directions, lookups)
    for entity in directions:
        engine.maps[entity] = await map_with_custom_fields(org_id, entity)
    return engine


async def map_with_custom_fields(org_id: int, entity: Entity) -> EntityMap:
    """The standard map plus the custom fields the initial sync created in ForceManager
    (kept in the Salesforce cursor's state, so incremental ticks need no describe call)."""
    row = await store.cursor(org_id, entity, store.SALESFORCE)
    return map_with(entity, (row.state or {}).get("custom_fields", []))


def map_with(entity: Entity, custom_fields: list[list[str]]) -> EntityMap:
    """The standard map plus these custom fields ([name, type] each)."""
    extra: list[Field] = []
    for name, type_ in custom_fields:
        made = custom_field(name, type_)
        if made is not None:
            extra.append(made)
    return MAPS[entity].with_fields(extra)
