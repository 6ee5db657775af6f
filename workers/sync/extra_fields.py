"""Salesforce custom fields (`…__c`) as ForceManager extra fields (`Z_…`).

The initial load creates them; the list of mapped custom fields is kept in each object's
Salesforce cursor so ticks need no describe call. When Salesforce refuses a field we kept
(it was deleted or renamed), a tick learns the fields again.
"""

from __future__ import annotations

from server.clients.salesforce import SObjectDescribe
from server.entities import Entity, spec_for
from workers.sync import store
from workers.sync.context import Engine, map_with
from workers.sync.fields import CUSTOM_TYPES, extra_field_name


def custom_fields(described: SObjectDescribe) -> list[list[str]]:
    """[name, type] of every custom field of a type that maps to an extra field."""
    return [[f.name, f.type] for f in described.fields
            if f.custom and f.type in CUSTOM_TYPES]


async def keep_custom_fields(engine: Engine, entity: Entity, described: SObjectDescribe
                             ) -> None:
    """Keep the object's custom fields in its cursor and rebuild the entity's map with
    them. Needs no ForceManager call, so Salesforce reads can start before the extra fields
    exist (nothing is written to ForceManager until they do)."""
    kept = custom_fields(described)
    row = await store.cursor(engine.org_id, entity, store.SALESFORCE)
    await store.save_cursor(row, custom_fields=kept)
    engine.maps[entity] = map_with(entity, kept)


async def create_missing(engine: Engine, entity: Entity, described: SObjectDescribe) -> None:
    """Give every mapped custom field an extra field, reusing one of that name."""
    resource = spec_for(entity).forcemanager_resource
    existing = {
        str(f.get("fieldName") or f.get("name")) for f in await engine.fm.extra_fields(resource)
    }
    by_name = {f.name: f for f in described.fields}
    for name, _ in custom_fields(described):
        field = by_name[name]
        extra = extra_field_name(name)
        if extra not in existing:
            await engine.fm.create_extra_field(
                resource,
                extra,
                CUSTOM_TYPES[field.type][0],
                label=field.label,
                values=list(field.picklist_values) or None,
            )
            existing.add(extra)


async def ensure_extra_fields(engine: Engine, entity: Entity) -> None:
    """Describe the object, create what is missing, keep the list and rebuild the map."""
    described = await engine.sf.describe(spec_for(entity).salesforce_object)
    await create_missing(engine, entity, described)
    await keep_custom_fields(engine, entity, described)
