"""Value conversions between each API's wire format and the canonical form the engine
compares and stores (RecordLink.synced_values).

Canonical values are JSON-safe and normalised so that equal meanings compare equal:
empty text is None, integral numbers are ints, dates are "YYYY-MM-DD", datetimes are UTC
"YYYY-MM-DDTHH:MM:SSZ", multi-select values are ";"-joined in a stable order.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def text(value: Any) -> str | None:
    if value.__class__ is str:  # nearly every value read: no other check needed
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, dict):  # ForceManager list values read as {"id", "value"}
        value = value.get("value")
        if value is None:
            return None
    value = str(value).strip()
    return value or None


def number(value: Any) -> int | float | None:
    if value is None or value == "":
        return None
    result = float(value)
    if result.is_integer():
        return int(result)
    return round(result, 8)


def boolean(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def parse_datetime(value: str) -> datetime:
    """Salesforce writes "2013-05-07T22:07:19.000+0000", ForceManager ISO 8601 with Z or an
    offset; naive values are taken as UTC."""
    raw = value.strip()
    try:
        # Python 3.11 reads both as they come ("Z", "+0000"); the rewrite below is for what
        # it does not, and cost more than the parse on every record of a load.
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = datetime.fromisoformat(_OFFSET.sub(r"\1:\2", raw.replace("Z", "+00:00")))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def datetime_value(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value if value.tzinfo else value.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    else:
        parsed = parse_datetime(str(value))
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def date_value(value: Any) -> str | None:
    """A calendar date. A datetime keeps the date it names where it was written (a close
    date entered in Madrid stays that day), so no time-zone shift is applied."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value).strip()[:10]).isoformat()


def multi(value: Any) -> str | None:
    """Salesforce multipicklists are "a;b"; ForceManager multivalue fields read as a list
    (of labels or {"id", "value"} items) or a ";"-joined string."""
    if value is None or value == "":
        return None
    if isinstance(value, list):
        items = [text(item) for item in value]
    else:
        items = [text(item) for item in str(value).split(";")]
    cleaned = sorted({item for item in items if item})
    return ";".join(cleaned) or None


def sf_datetime(canonical: str | None) -> str | None:
    return None if canonical is None else canonical.replace("Z", "+0000")


def fm_datetime(canonical: str | None) -> str | None:
    return canonical


def fm_date_as_datetime(canonical: str | None) -> str | None:
    return None if canonical is None else f"{canonical}T00:00:00Z"


def reference_id(value: Any) -> int | None:
    """A ForceManager foreign key: {"id": N, "value": label} on reads, N on writes."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("id")
        if value is None:
            return None
    return int(value)
