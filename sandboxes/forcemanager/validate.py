"""Checking a write body against a resource's fields and extra fields, before anything changes.

Values arrive as JSON; they are kept the way the store keeps them: datetimes as epoch
milliseconds, references as integer ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandboxes.forcemanager.errors import SandboxError, bad_request
from sandboxes.forcemanager.fields import REQUIRED, Field, Kind, fields_of
from sandboxes.forcemanager.timefmt import parse_time

EXTRA_NAME = re.compile(r"^Z_[A-Za-z0-9_]{1,60}$")
# Members as module constants: Kind.X is a lookup on the enum class for every field written.
_TEXT, _INT, _FK, _DECIMAL, _BOOL = Kind.TEXT, Kind.INT, Kind.FK, Kind.DECIMAL, Kind.BOOL


def _type_error(name: str, expected: str, value: Any) -> SandboxError:
    return bad_request(
        "INVALID_TYPE", f"field {name} expects {expected}, got {json_type(value)}", [name]
    )


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _datetime(name: str, value: Any) -> int:
    if not isinstance(value, str):
        raise _type_error(name, "an ISO 8601 date-time string", value)
    try:
        return parse_time(value)
    except ValueError:
        raise bad_request(
            "INVALID_TYPE", f"field {name}: {value!r} is not an ISO 8601 date-time", [name]
        ) from None


def standard_value(field: Field, value: Any) -> Any:
    """A standard field's value as stored; references are only type-checked here."""
    name, kind = field.name, field.kind
    if value is None:
        return None
    if kind is _TEXT:
        if not isinstance(value, str):
            raise _type_error(name, "a string", value)
        return value
    if kind is _INT or kind is _FK:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 3.0 from clients that only have floats
        if isinstance(value, bool) or not isinstance(value, int):
            what = "an integer id" if kind is _FK else "an integer"
            raise _type_error(name, what, value)
        return value
    if kind is _DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(name, "a number", value)
        return value
    if kind is _BOOL:
        if not isinstance(value, bool):
            raise _type_error(name, "true or false", value)
        return value
    return _datetime(name, value)


def extra_value(definition: dict[str, Any], value: Any) -> Any:
    name, kind = definition["fieldName"], definition["type"]
    if value is None:
        return None
    if kind == "text":
        if not isinstance(value, str):
            raise _type_error(name, "a string", value)
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(name, "a number", value)
        return value
    if kind == "bit":
        if isinstance(value, bool):
            return value
        if value in (0, 1) and isinstance(value, int):
            return bool(value)
        raise _type_error(name, "true or false", value)
    if kind == "datetime":
        return _datetime(name, value)
    allowed = definition.get("values") or []
    if kind == "list":
        if not isinstance(value, str):
            raise _type_error(name, "one of its list values", value)
        if value not in allowed:
            raise bad_request(
                "INVALID_VALUE", f"field {name}: {value!r} is not one of {allowed}", [name]
            )
        return value
    if kind == "multivalue":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _type_error(name, "an array of its list values", value)
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise bad_request(
                "INVALID_VALUE", f"field {name}: {unknown} are not among {allowed}", [name]
            )
        return list(value)
    raise bad_request("READ_ONLY_FIELD", f"field {name} is a label and cannot be written", [name])


def check_write(
    resource: str,
    data: Any,
    extras: dict[str, dict[str, Any]],
    reference_exists: Callable[[str, int], bool],
    *,
    creating: bool,
) -> dict[str, Any]:
    """The changes a body asks for, as stored; SandboxError (400) if anything is wrong."""
    if not isinstance(data, dict):
        raise bad_request("INVALID_BODY", f"the body must be a JSON object, got {json_type(data)}")
    data = dict(data)
    custom = data.pop("customFields", None)
    if custom is not None:
        if not isinstance(custom, dict):
            raise _type_error("customFields", "an object of Z_ fields", custom)
        data.update(custom)
    known = fields_of(resource)
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name.startswith("Z_"):
            if name not in extras:
                raise bad_request(
                    "INVALID_FIELD", f"{resource} has no extra field {name}", [name]
                )
            changes[name] = extra_value(extras[name], value)
            continue
        field = known.get(name)
        if field is None:
            raise bad_request("INVALID_FIELD", f"{resource} has no field {name!r}", [name])
        if field.read_only:
            raise bad_request("READ_ONLY_FIELD", f"field {name} is read-only", [name])
        stored = standard_value(field, value)
        if field.kind is _FK and stored is not None and field.target:
            if not reference_exists(field.target, stored):
                raise bad_request(
                    "INVALID_REFERENCE",
                    f"field {name}: {field.target} {stored} does not exist",
                    [name],
                )
        changes[name] = stored
    required = REQUIRED.get(resource, ())
    if creating:
        missing = [n for n in required if changes.get(n) in (None, "")]
    else:
        missing = [n for n in required if n in changes and changes[n] in (None, "")]
    if missing:
        verb = "required" if creating else "required and cannot be emptied"
        raise bad_request(
            "REQUIRED_FIELD_MISSING", f"{', '.join(missing)}: {verb} for {resource}", missing
        )
    return changes
