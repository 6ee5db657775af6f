"""The field map of each entity pair: which Salesforce field pairs with which ForceManager
field, and how its values convert. docs/sync.md shows the same maps as tables.

The canonical key of a field is its Salesforce name; RecordLink.synced_values and the log's
conflicts use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from server.entities import Entity
from workers.sync import convert


class Kind(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    BOOL = "BOOL"
    DATE = "DATE"
    DATETIME = "DATETIME"
    # A Salesforce date stored in a ForceManager datetime field (midnight UTC).
    DATE_AS_DATETIME = "DATE_AS_DATETIME"
    MULTI = "MULTI"  # multipicklist ↔ multivalue
    OWNER = "OWNER"  # a user, through the user matches
    REFERENCE = "REFERENCE"  # a parent record, through the record links
    # Activities' WhatId: an account or an opportunity, told apart by the id's prefix.
    WHAT = "WHAT"
    VALUE_LIST = "VALUE_LIST"  # picklist ↔ a ForceManager value list (label ↔ id)
    STREET = "STREET"  # multi-line street ↔ address1 + address2


# Kinds written to ForceManager as their canonical value.
PLAIN = frozenset({Kind.TEXT, Kind.NUMBER, Kind.BOOL, Kind.DATE, Kind.DATETIME})

# Salesforce wire value → canonical, per kind; every other kind reads as text.
SALESFORCE_READERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.NUMBER: convert.number,
    Kind.BOOL: convert.boolean,
    Kind.DATE: convert.date_value,
    Kind.DATE_AS_DATETIME: convert.date_value,
    Kind.DATETIME: convert.datetime_value,
    Kind.MULTI: convert.multi,
}


@dataclass(frozen=True)
class Field:
    key: str  # Salesforce field name
    forcemanager: str | tuple[str, str]
    kind: Kind = Kind.TEXT
    reference: Entity | None = None
    value_list: str | None = None
    # False for values ForceManager may not push back (Salesforce computes or owns them).
    to_salesforce: bool = True

    # Cached: read for every value of every record written (the Field is frozen).
    @cached_property
    def forcemanager_fields(self) -> tuple[str, ...]:
        fm = self.forcemanager
        return fm if isinstance(fm, tuple) else (fm,)

    @cached_property
    def targets(self) -> tuple[tuple[Entity, str, str], ...]:
        """Parents this field may point at: (entity, Salesforce id prefix, FM field)."""
        if self.kind is Kind.WHAT:
            return WHAT_TARGETS
        if self.kind is Kind.REFERENCE and self.reference is not None:
            return ((self.reference, "", self.forcemanager_fields[0]),)
        return ()


WHAT_TARGETS = (
    (Entity.ACCOUNT, "001", "accountId"),
    (Entity.OPPORTUNITY, "006", "opportunityId"),
)


@dataclass(frozen=True)
class EntityMap:
    entity: Entity
    fields: tuple[Field, ...]
    # The Salesforce field that names a record in the log.
    name_field: str
    # Values a ForceManager create needs that Salesforce has no field for:
    # (field, value list, label); no label, or a label not in the list = its first entry.
    forcemanager_defaults: tuple[tuple[str, str, str | None], ...] = ()

    def field(self, key: str) -> Field:
        return self._by_key[key]

    @cached_property
    def _by_key(self) -> dict[str, Field]:
        # field() runs for every value of every record written: a scan was O(fields²).
        return {f.key: f for f in self.fields}

    @cached_property
    def kinds(self) -> tuple[tuple[str, Kind], ...]:
        """(key, kind) of each field: what converting a whole record walks."""
        return tuple((f.key, f.kind) for f in self.fields)

    @cached_property
    def plain_forcemanager(self) -> dict[str, str]:
        """Key → ForceManager field of the fields whose canonical value is also what
        ForceManager takes (no lookup, no reshaping): the common case of a write."""
        return {f.key: f.forcemanager_fields[0] for f in self.fields if f.kind in PLAIN}

    @property
    def salesforce_fields(self) -> list[str]:
        return list(self.salesforce_keys)

    # The plans below are what converting a record walks, worked out once per map: a load
    # converts every record three times (read, write, read-back), field by field.

    @cached_property
    def salesforce_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @cached_property
    def key_set(self) -> frozenset[str]:
        return frozenset(self.salesforce_keys)

    @cached_property
    def readers(self) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
        """(key, Salesforce value → canonical) of each field."""
        return tuple((f.key, SALESFORCE_READERS.get(f.kind, convert.text)) for f in self.fields)

    @cached_property
    def plain_keys(self) -> tuple[str, ...]:
        """Keys of plain_forcemanager, in field order; plain_names: their ForceManager
        fields, in the same order."""
        return tuple(self.plain_forcemanager)

    @cached_property
    def plain_names(self) -> tuple[str, ...]:
        return tuple(self.plain_forcemanager.values())

    @cached_property
    def special_fields(self) -> tuple[Field, ...]:
        """The fields that are not plain: written through lookups or reshaped."""
        return tuple(f for f in self.fields if f.kind not in PLAIN)

    @cached_property
    def payload_reads(self) -> tuple[tuple[Field, tuple[str, ...], bool, bool], ...]:
        """(field, its ForceManager fields, whether a payload must hold all of them (else
        any: WhatId), whether it is a value list) of each field."""
        return tuple(
            (f, f.forcemanager_fields, f.kind is not Kind.WHAT, f.kind is Kind.VALUE_LIST)
            for f in self.fields
        )

    def with_fields(self, extra: list[Field]) -> EntityMap:
        known = {f.key for f in self.fields}
        return EntityMap(
            self.entity,
            self.fields + tuple(f for f in extra if f.key not in known),
            self.name_field,
            self.forcemanager_defaults,
        )


def _address(prefix: str, *, state: bool = True) -> tuple[Field, ...]:
    return (
        Field(f"{prefix}Street", ("address1", "address2"), Kind.STREET),
        Field(f"{prefix}City", "city"),
        Field(f"{prefix}PostalCode", "postcode"),
        *((Field(f"{prefix}State", "region"),) if state else ()),
        Field(f"{prefix}Country", "countryId", Kind.VALUE_LIST, value_list="countries"),
    )


ACCOUNT = EntityMap(
    Entity.ACCOUNT,
    (
        Field("Name", "name"),
        *_address("Billing"),
        Field("BillingLatitude", "latitude", Kind.NUMBER),
        Field("BillingLongitude", "longitude", Kind.NUMBER),
        Field("Phone", "phone"),
        Field("Fax", "fax"),
        Field("Website", "website"),
        Field("Description", "comment"),
        Field("Type", "typeId", Kind.VALUE_LIST, value_list="accountTypes"),
        Field("OwnerId", "salesRepId1", Kind.OWNER),
    ),
    name_field="Name",
    forcemanager_defaults=(("branchId", "branches", None),),
)

CONTACT = EntityMap(
    Entity.CONTACT,
    (
        Field("FirstName", "firstName"),
        Field("LastName", "lastName"),
        Field("AccountId", "accountId", Kind.REFERENCE, reference=Entity.ACCOUNT),
        Field("Phone", "phone1"),
        Field("MobilePhone", "phone2"),
        Field("Email", "email"),
        Field("Description", "comment"),
        Field("Birthdate", "birthday", Kind.DATE_AS_DATETIME),
        *_address("Mailing", state=False),
        Field("OwnerId", "salesRepId", Kind.OWNER),
    ),
    name_field="LastName",
)

OPPORTUNITY = EntityMap(
    Entity.OPPORTUNITY,
    (
        Field("Name", "reference"),
        Field("AccountId", "accountId1", Kind.REFERENCE, reference=Entity.ACCOUNT),
        Field("Amount", "total", Kind.NUMBER),
        Field("Probability", "salesProbability", Kind.NUMBER),
        Field("CloseDate", "salesForeCastDate", Kind.DATE_AS_DATETIME),
        Field("StageName", "statusId", Kind.VALUE_LIST, value_list="opportunityStatuses"),
        Field("Description", "comments"),
        Field("OwnerId", "salesRepId", Kind.OWNER),
    ),
    name_field="Name",
    forcemanager_defaults=(
        ("branchId", "branches", None),
        ("statusId", "opportunityStatuses", None),
    ),
)


# Task and Event share ForceManager's activities. WhatId is polymorphic: an account goes to
# accountId, an opportunity to opportunityId.
_ACTIVITY_LINKS = (
    Field("Subject", "subject"),
    Field("Description", "comment"),
    Field("WhatId", ("accountId", "opportunityId"), Kind.WHAT),
    Field("WhoId", "contactId", Kind.REFERENCE, reference=Entity.CONTACT),
    Field("OwnerId", "salesRepId", Kind.OWNER),
)

TASK = EntityMap(
    Entity.TASK,
    (*_ACTIVITY_LINKS, Field("ActivityDate", "activityDate", Kind.DATE_AS_DATETIME)),
    name_field="Subject",
    forcemanager_defaults=(("typeId", "activityTypes", "Task"),),
)

EVENT = EntityMap(
    Entity.EVENT,
    (
        *_ACTIVITY_LINKS,
        Field("ActivityDateTime", "activityDate", Kind.DATETIME),
        Field("DurationInMinutes", "durationMinutes", Kind.NUMBER),
    ),
    name_field="Subject",
    forcemanager_defaults=(("typeId", "activityTypes", "Meeting"),),
)

PRODUCT = EntityMap(
    Entity.PRODUCT,
    (
        Field("Name", "name"),
        Field("ProductCode", "productCode"),
        Field("Description", "description"),
        Field("IsActive", "available", Kind.BOOL),
        Field("Family", "familyId", Kind.VALUE_LIST, value_list="productFamilies"),
    ),
    name_field="Name",
)

MAPS: dict[Entity, EntityMap] = {
    m.entity: m for m in (ACCOUNT, CONTACT, OPPORTUNITY, TASK, EVENT, PRODUCT)
}

# Salesforce custom field type → (ForceManager extra field type, conversion kind).
CUSTOM_TYPES: dict[str, tuple[str, Kind]] = {
    "string": ("text", Kind.TEXT),
    "textarea": ("text", Kind.TEXT),
    "email": ("text", Kind.TEXT),
    "phone": ("text", Kind.TEXT),
    "url": ("text", Kind.TEXT),
    "double": ("decimal", Kind.NUMBER),
    "currency": ("decimal", Kind.NUMBER),
    "percent": ("decimal", Kind.NUMBER),
    "int": ("decimal", Kind.NUMBER),
    "boolean": ("bit", Kind.BOOL),
    "date": ("datetime", Kind.DATE_AS_DATETIME),
    "datetime": ("datetime", Kind.DATETIME),
    "picklist": ("list", Kind.TEXT),
    "multipicklist": ("multivalue", Kind.MULTI),
}


def extra_field_name(salesforce_name: str) -> str:
    """Account.SLA__c ↔ Z_SLA: ForceManager extra fields are named after the custom field."""
    base = salesforce_name[:-3] if salesforce_name.endswith("__c") else salesforce_name
    return f"Z_{base}"


def custom_field(salesforce_name: str, salesforce_type: str) -> Field | None:
    """The Field of a Salesforce custom field, or None when its type has no counterpart."""
    mapped = CUSTOM_TYPES.get(salesforce_type)
    if mapped is None:
        return None
    return Field(salesforce_name, extra_field_name(salesforce_name), mapped[1])
