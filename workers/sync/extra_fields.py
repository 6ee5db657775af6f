"""Salesforce custom fields (`…__c`) as ForceManager extra fields (`Z_…`).

The initial load creates them; the list of mapped custom fields is kept in each object's
Salesforce cursor so ticks need no describe call. When Salesforce refuses a field we kept
(it was deleted or renamed), a tick learns the fields again.
"""

from __future__ import annotations

from server.entities import Entity, spec_for
from workers.sync import store
from workers.sync.context import Engine, map_with_custom_fields
from workers.sync.fields import CUSTOM_TYPES, extra_field_name


async def create_extra_fields(engine: Engine) -> None:
    for entity in engine.entities:
        await ensure_extra_fields(engine, entity)


async def ensure_extra_fields(engine: Engine, entity: Entity) -> None:
    """Describe the object; give every custom field of a mappable type an extra field
    (reusing one of that name); keep the list and rebuild the entity's map."""
    spec = spec_for(entity)
    described = await engine.sf.describe(spec.salesforce_object)
    existing = {
        str(f.get("fieldName") or f.get("name"))
        for f in await engine.fm.extra_fields(spec.forcemanager_resource)
    }
    kept: list[list[str]] = []
    for field in described.fields:
        if not field.custom or field.type not in CUSTOM_TYPES:
            continue
        name = extra_field_name(field.name)
        if name not in existing:
            await engine.fm.create_extra_field(
                spec.forcemanager_resource,
                name,
                CUSTOM_TYPES[field.type][0],
                label=field.label,
                values=list(field.picklist_values) or None,
            )
            existing.add(name)
        kept.append([field.name, field.type])
    row = await store.cursor(engine.org_id, entity, store.SALESFORCE)
    await store.save_cursor(row, custom_fields=kept)
    engine.maps[entity] = await map_with_custom_fields(engine.org_id, entity)
