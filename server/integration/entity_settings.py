"""Which entities sync, and in which direction. Account is mandatory; the whole input is
checked before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server.entities import CATALOGUE, Direction, Entity, EntitySpec
from server.integration.errors import (
    InvalidInput,
    MandatoryEntity,
    UnknownEntity,
    UnsupportedDirection,
)
from server.integration.state import CONFIGURABLE_STATES, get_integration, require_state
from server.models import EntitySetting


@dataclass(frozen=True)
class EntityChoice:
    entity: str
    enabled: bool
    direction: Direction


@dataclass(frozen=True)
class EntityView:
    spec: EntitySpec
    enabled: bool
    direction: Direction


async def entity_settings(org_id: int) -> list[EntityView]:
    """Every entity of the catalogue with the org's choice (defaults where none is stored)."""
    rows = {r.entity: r for r in await EntitySetting.filter(organization_id=org_id)}
    views = []
    for spec in CATALOGUE.values():
        row = rows.get(spec.entity.value)
        views.append(
            EntityView(
                spec,
                enabled=spec.mandatory or (row.enabled if row else False),
                direction=Direction(row.direction) if row else Direction.SALESFORCE_TO_FORCEMANAGER,
            )
        )
    return views


def validate(choices: list[EntityChoice]) -> list[tuple[EntitySpec, EntityChoice]]:
    if not choices:
        raise InvalidInput("Give at least one entity.")
    seen: set[str] = set()
    checked = []
    for choice in choices:
        name = choice.entity.strip().upper()
        try:
            spec = CATALOGUE[Entity(name)]
        except ValueError:
            raise UnknownEntity(choice.entity) from None
        if name in seen:
            raise InvalidInput(f"{name} appears more than once.")
        seen.add(name)
        if spec.mandatory and not choice.enabled:
            raise MandatoryEntity(name)
        if choice.direction not in spec.directions:
            raise UnsupportedDirection(
                name, choice.direction.value, [d.value for d in spec.directions]
            )
        checked.append((spec, choice))
    return checked


async def configure(org_id: int, choices: list[EntityChoice]) -> list[EntityView]:
    """Store the choices for the listed entities; others keep theirs."""
    integration = await get_integration(org_id)
    require_state(integration, CONFIGURABLE_STATES, "configure the synced entities")
    checked = validate(choices)
    async with in_transaction():
        for spec, choice in checked:
            await EntitySetting.update_or_create(
                organization_id=org_id,
                entity=spec.entity.value,
                defaults={"enabled": choice.enabled, "direction": choice.direction},
            )
    return await entity_settings(org_id)
