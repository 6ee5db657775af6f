"""Validate a record body the way Salesforce does before a create or an update, turning JSON
values into stored ones. Errors carry Salesforce's status codes and messages."""

from __future__ import annotations

import re
from typing import Any

from sandboxes.salesforce.describe import NUMBER_TYPES, TEXT_TYPES, Field, SObjectType
from sandboxes.salesforce.store import Store
from sandboxes.salesforce.values import format_datetime, normalize_id, parse_date, parse_datetime

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RecordError(Exception):
    """One record refused. request_level errors (JSON_PARSER_ERROR) fail a whole request."""

    def __init__(
        self, code: str, message: str, fields: list[str] | None = None,
        request_level: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []
        self.request_level = request_level

    def as_record_error(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def as_api_error(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.code, "fields": self.fields}


def clean(
    store: Store, sobject: SObjectType, data: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    """The body's values in stored form, by canonical field name; RecordError if refused."""
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "attributes" or (key.lower() == "id" and not creating):
            continue
        field = sobject.field(key)
        if field is None:
            raise RecordError(
                "INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject.name}"
            )
        if not (field.createable if creating else field.updateable):
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {field.name}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                [field.name],
            )
        values[field.name] = _value(store, sobject, field, raw)
    if creating:
        missing = [f.name for f in sobject.fields if f.required and values.get(f.name) is None]
        if missing:
            raise RecordError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
    return values


def _value(store: Store, sobject: SObjectType, field: Field, raw: Any) -> Any:
    if raw is None:
        if field.type == "boolean":
            return False
        if not field.nillable and not field.defaulted:
            raise RecordError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{field.name}]",
                [field.name],
            )
        return None
    kind = field.type
    if kind in TEXT_TYPES:
        return _text(field, raw)
    if kind in NUMBER_TYPES:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise _parse_error(raw, "int" if kind == "int" else "double")
        if kind == "int":
            if raw != int(raw):
                raise _parse_error(raw, "int")
            return int(raw)
        return float(raw)
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise _parse_error(raw, "boolean")
        return raw
    if kind == "date":
        if not isinstance(raw, str) or parse_date(raw[:10]) is None:
            raise _parse_error(raw, "date")
        return raw[:10]
    if kind == "datetime":
        moment = parse_datetime(raw) if isinstance(raw, str) else None
        if moment is None:
            raise _parse_error(raw, "datetime")
        return format_datetime(moment)
    if kind == "reference":
        return _reference(store, field, raw)
    raise RecordError("INVALID_FIELD", f"Field {field.name} cannot be written")


def _text(field: Field, raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _parse_error(raw, "String")
    text = raw if isinstance(raw, str) else str(raw)
    limit = field.length or 255
    if len(text) > limit:
        raise RecordError(
            "STRING_TOO_LONG",
            f"{field.label}: data value too large: {text[:40]}... (max length={limit})",
            [field.name],
        )
    if field.type == "email" and text and not _EMAIL.match(text):
        raise RecordError(
            "INVALID_EMAIL_ADDRESS", f"{field.label}: invalid email address: {text}",
            [field.name],
        )
    if field.restricted and text not in field.picklist:
        raise RecordError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{field.label}: bad value for restricted picklist field: {text}",
            [field.name],
        )
    return text


def _reference(store: Store, field: Field, raw: Any) -> str:
    ref = normalize_id(raw)
    if ref is None:
        raise RecordError(
            "MALFORMED_ID", f"{field.label}: id value of incorrect type: {raw}", [field.name]
        )
    table = store.table_for_id(ref)
    if table is None or table.name not in field.reference_to:
        raise RecordError(
            "FIELD_INTEGRITY_EXCEPTION",
            f"{field.label}: id value of incorrect type: {raw}",
            [field.name],
        )
    row = table.rows.get(ref)
    if row is None:
        raise RecordError(
            "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field.name]
        )
    if row[table.deleted_pos]:
        raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [field.name])
    if table.name == "User" and not row[table.sobject.positions["IsActive"]]:
        raise RecordError(
            "INACTIVE_OWNER_OR_USER",
            f"operation performed with inactive user [{ref}] as owner of record",
            [field.name],
        )
    return ref


def _parse_error(raw: Any, type_name: str) -> RecordError:
    if isinstance(raw, bool):
        token = "VALUE_TRUE" if raw else "VALUE_FALSE"
    elif isinstance(raw, str):
        token = "VALUE_STRING"
    elif isinstance(raw, int | float):
        token = "VALUE_NUMBER"
    else:
        token = "START_ARRAY" if isinstance(raw, list) else "START_OBJECT"
    return RecordError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {token} value {raw} or request may be "
        "missing a required field",
        request_level=True,
    )
