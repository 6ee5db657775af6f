"""What each ForceManager resource holds: field names and kinds, as apiDefinition.swagger.json
describes them (plus activities and products, which the swagger lacks; see
docs/forcemanager.md)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    TEXT = "text"
    INT = "integer"
    DECIMAL = "decimal"
    BOOL = "boolean"
    DATETIME = "datetime"
    FK = "reference"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    target: str | None = None  # for FK: the resource or value list it points at
    read_only: bool = False


def _fields(spec: str) -> tuple[Field, ...]:
    """Parse a compact "name:kind[:target]" list (whitespace separated)."""
    kinds = {
        "s": Kind.TEXT,
        "i": Kind.INT,
        "n": Kind.DECIMAL,
        "b": Kind.BOOL,
        "d": Kind.DATETIME,
        "fk": Kind.FK,
    }
    out = []
    for item in spec.split():
        name, kind, *target = item.split(":")
        out.append(Field(name, kinds[kind], target[0] if target else None))
    return tuple(out)


# Every record has these; only extId is writable.
SYSTEM_FIELDS = (
    Field("id", Kind.INT, read_only=True),
    Field("extId", Kind.TEXT),
    Field("dateCreated", Kind.DATETIME, read_only=True),
    Field("dateUpdated", Kind.DATETIME, read_only=True),
    Field("dateDeleted", Kind.DATETIME, read_only=True),
    Field("deleted", Kind.BOOL, read_only=True),
    Field("salesRepIdCreated", Kind.INT, read_only=True),
    Field("salesRepIdUpdated", Kind.INT, read_only=True),
    Field("salesRepIdDeleted", Kind.INT, read_only=True),
)

_ADDRESS = "address1:s address2:s city:s postcode:s region:s countryId:fk:countries"

RESOURCE_FIELDS: dict[str, tuple[Field, ...]] = {
    "accounts": _fields(
        "name:s statusId:fk:accountStatuses typeId:fk:accountTypes vatNumber:s phone:s email:s "
        "branchId:fk:branches salesRepId1:fk:users salesRepId2:fk:users salesRepId3:fk:users "
        "salesRepId4:fk:users salesRepId5:fk:users comment:s " + _ADDRESS + " "
        "phone2:s phone3:s fax:s website:s geocoded:b geocodingAccuracy:i latitude:n "
        "longitude:n permissionLevel:i public:b readOnly:b rateId:fk:rates "
        "segmentId:fk:accountSegments"
    ),
    "contacts": _fields(
        "firstName:s lastName:s accountId:fk:accounts typeId:fk:contactTypes phone1:s phone2:s "
        "fax:s email:s email2:s email3:s salesRepId:fk:users comment:s " + _ADDRESS + " "
        "birthday:d linkedin:s skype:s useCompanyAdddress:b permissionLevel:i "
        "marketingCommunications:b readOnly:b gender:fk:genders"
    ),
    "opportunities": _fields(
        "reference:s type_id:fk:opportunityTypes statusId:fk:opportunityStatuses total:n "
        "currencyId:fk:currencies accountId1:fk:accounts salesForeCastDate:d salesProbability:i "
        "salesRepId:fk:users comments:s branchId:fk:branches accountId2:fk:accounts "
        "accountId3:fk:accounts " + _ADDRESS + " closedDate:d lostDate:d wonDate:d geocoded:b "
        "geocodingAccuracy:i latitude:n longitude:n permissionLevel:i readOnly:b"
    ),
    "activities": _fields(
        "subject:s typeId:fk:activityTypes activityDate:d durationMinutes:i comment:s "
        "accountId:fk:accounts contactId:fk:contacts opportunityId:fk:opportunities "
        "salesRepId:fk:users completed:b latitude:n longitude:n"
    ),
    "products": _fields(
        "name:s productCode:s description:s familyId:fk:productFamilies price:n cost:n "
        "currencyId:fk:currencies available:b readOnly:b"
    ),
    "salesorders": _fields(
        "reference:s number:i year:i statusId:fk:salesorderStatuses total:n discount1:n "
        "discount2:n discount3:n discount4:n currencyId:fk:currencies accountId:fk:accounts "
        "salesForeCastDate:d salesRepId:fk:users comment:s internalComment:s "
        "branchId:fk:branches opportunityId:fk:opportunities contactId:fk:contacts "
        "rateId:fk:rates accountAddressId:fk closedDate:d mainSalesorder:b archived:b blocked:b "
        "readOnly:b"
    ),
    "salesordersLines": _fields(
        "description:s productId:fk:products quantity:i price:n total:n discount1:n discount2:n "
        "discount3:n discount4:n salesOrderId:fk:salesorders order:i"
    ),
    "users": _fields(
        "name:s lastName:s email:s idPrefix:s phoneExtension:s phone:s nic:s description:s "
        "lastPasswordChangeDate:d isActive:b billable:b computeSfm:b locale:s dbLanguage:s "
        "uiLanguage:s level:i branchRestriction:b branches:fk:branches userTypeId:fk:userTypes "
        "managerId:fk:users rateId:fk:rates"
    ),
}

# Required on create (400 otherwise).
REQUIRED: dict[str, tuple[str, ...]] = {
    "accounts": ("name", "branchId", "salesRepId1"),
    "contacts": ("lastName",),
    "opportunities": ("reference", "statusId", "salesRepId"),
    "activities": ("typeId", "salesRepId"),
    "products": ("name",),
    "salesorders": ("reference", "accountId", "salesRepId"),
    "salesordersLines": ("salesOrderId", "productId"),
    "users": ("name", "email"),
}

# Resources the API may not write (users are managed in ForceManager's own admin).
READ_ONLY_RESOURCES = frozenset({"users"})

# How a record is labelled in {"id", "value"} references to it.
LABEL_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("name",),
    "contacts": ("firstName", "lastName"),
    "opportunities": ("reference",),
    "activities": ("subject",),
    "products": ("name",),
    "salesorders": ("reference",),
    "salesordersLines": ("description",),
    "users": ("name", "lastName"),
}

# Written as a boolean, read as 0/1 (ContactResponse in the swagger).
READ_AS_INTEGER = frozenset({"useCompanyAdddress"})

# Users reference value lists as {"description", "id"} (UserResponse in the swagger).
DESCRIPTION_REFERENCES = frozenset({"users"})

RESOURCES = tuple(RESOURCE_FIELDS)

EXTRA_FIELD_TYPES = ("text", "decimal", "bit", "datetime", "list", "multivalue", "label")


@functools.cache  # asked once per record written: a bulk load writes thousands
def fields_of(resource: str) -> Mapping[str, Field]:
    return MappingProxyType({f.name: f for f in (*SYSTEM_FIELDS, *RESOURCE_FIELDS[resource])})
