"""Extra (custom) fields: checking a new definition, and the schema that lists them with the
standard fields."""

from __future__ import annotations

from typing import Any

from sandboxes.forcemanager.errors import SandboxError, bad_request
from sandboxes.forcemanager.fields import (
    READ_ONLY_RESOURCES,
    REQUIRED,
    RESOURCE_FIELDS,
    SYSTEM_FIELDS,
    Kind,
)
from sandboxes.forcemanager.validate import EXTRA_NAME

MAX_EXTRA_FIELDS = 200

# How an extra field's type compares and sorts in filters.
EXTRA_KINDS = {
    "text": Kind.TEXT,
    "decimal": Kind.DECIMAL,
    "bit": Kind.BOOL,
    "datetime": Kind.DATETIME,
    "list": Kind.TEXT,
    "multivalue": Kind.TEXT,
    "label": Kind.TEXT,
}


def new_definition(
    resource: str,
    existing: dict[str, dict[str, Any]],
    field_name: Any,
    type_: Any,
    label: Any,
    values: Any,
    *,
    field_id: int,
    when: str | None,
) -> dict[str, Any]:
    """The definition of a new extra field; SandboxError (400/409) if it cannot be made."""
    if not isinstance(field_name, str) or not EXTRA_NAME.match(field_name):
        raise bad_request(
            "INVALID_FIELD",
            "fieldName must start with Z_ followed by letters, digits or _ "
            f"(61 at most), got {field_name!r}",
            ["fieldName"],
        )
    if not isinstance(type_, str) or type_ not in EXTRA_KINDS:
        raise bad_request(
            "INVALID_TYPE", f"type must be one of {sorted(EXTRA_KINDS)}, got {type_!r}", ["type"]
        )
    if field_name in existing:
        raise SandboxError(
            409, "DUPLICATE_FIELD", f"{resource} already has extra field {field_name}",
            ["fieldName"],
        )
    if len(existing) >= MAX_EXTRA_FIELDS:
        raise bad_request(
            "LIMIT_EXCEEDED", f"{resource} has {MAX_EXTRA_FIELDS} extra fields already"
        )
    if label is not None and not isinstance(label, str):
        raise bad_request("INVALID_TYPE", "label must be a string", ["label"])
    if type_ in ("list", "multivalue"):
        if (
            not isinstance(values, list) or not values
            or not all(isinstance(v, str) and v for v in values)
            or len(set(values)) != len(values)
        ):
            raise bad_request(
                "INVALID_VALUE", f"a {type_} field needs values: distinct non-empty strings",
                ["values"],
            )
    elif values is not None:
        raise bad_request(
            "INVALID_VALUE", "only list and multivalue fields take values", ["values"]
        )
    return {
        "id": field_id,
        "fieldName": field_name,
        "label": label or field_name[2:].replace("_", " "),
        "type": type_,
        "values": list(values) if values else None,
        "mandatory": False,
        "readOnly": type_ == "label",
        "dateCreated": when,
        "dateUpdated": when,
    }


def schema(resource: str, extras: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """GET /{resource}/schema: every field, standard then extra."""
    required = set(REQUIRED.get(resource, ()))
    fields: list[dict[str, Any]] = [
        {
            "name": f.name,
            "type": f.kind.value,
            "required": f.name in required,
            "readOnly": f.read_only or resource in READ_ONLY_RESOURCES,
            "reference": f.target,
            "extra": False,
        }
        for f in (SYSTEM_FIELDS[0], *RESOURCE_FIELDS[resource], *SYSTEM_FIELDS[1:])
    ]
    for d in extras.values():
        fields.append({
            "name": d["fieldName"], "type": d["type"], "required": False,
            "readOnly": d["readOnly"], "reference": None, "extra": True,
            "label": d["label"], "values": d["values"],
        })
    return {"entity": resource, "fields": fields}
