"""The catalogue of syncable entities: which Salesforce object pairs with which ForceManager
resource, which directions each allows, and the order a load must follow (parents first)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    SALESFORCE_TO_FORCEMANAGER = "SALESFORCE_TO_FORCEMANAGER"
    BIDIRECTIONAL = "BIDIRECTIONAL"


class Flow(StrEnum):
    """Which way one record change travelled."""

    SALESFORCE_TO_FORCEMANAGER = "SALESFORCE_TO_FORCEMANAGER"
    FORCEMANAGER_TO_SALESFORCE = "FORCEMANAGER_TO_SALESFORCE"


class Entity(StrEnum):
    ACCOUNT = "ACCOUNT"
    CONTACT = "CONTACT"
    OPPORTUNITY = "OPPORTUNITY"
    TASK = "TASK"
    EVENT = "EVENT"
    PRODUCT = "PRODUCT"


@dataclass(frozen=True)
class EntitySpec:
    entity: Entity
    salesforce_object: str
    forcemanager_resource: str
    directions: tuple[Direction, ...]
    mandatory: bool
    # Load order: a record may only reference records of a lower level.
    level: int


CATALOGUE: dict[Entity, EntitySpec] = {
    spec.entity: spec
    for spec in (
        EntitySpec(Entity.ACCOUNT, "Account", "accounts", tuple(Direction), True, 0),
        EntitySpec(Entity.PRODUCT, "Product2", "products",
                   (Direction.SALESFORCE_TO_FORCEMANAGER,), False, 0),
        EntitySpec(Entity.CONTACT, "Contact", "contacts", tuple(Direction), False, 1),
        EntitySpec(Entity.OPPORTUNITY, "Opportunity", "opportunities", tuple(Direction), False, 1),
        EntitySpec(Entity.TASK, "Task", "activities", tuple(Direction), False, 2),
        EntitySpec(Entity.EVENT, "Event", "activities", tuple(Direction), False, 2),
    )
}


def spec_for(entity: Entity | str) -> EntitySpec:
    return CATALOGUE[Entity(entity)]


def in_load_order(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (CATALOGUE[e].level, list(CATALOGUE).index(e)))


def by_salesforce_object(name: str) -> EntitySpec | None:
    return next((s for s in CATALOGUE.values() if s.salesforce_object == name), None)
