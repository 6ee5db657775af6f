"""SOQL text: names, literals, timestamps, and the keyset query for change reads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


def name(value: str) -> str:
    """An sObject or field name, checked: names are pasted into SOQL, never values."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"not a Salesforce object or field name: {value!r}")
    return value


def record_id(value: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(f"not a Salesforce record id: {value!r}")
    return value


def quote(value: str) -> str:
    """A SOQL string literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value.isoformat()}")
    return value


def datetime_literal(value: datetime) -> str:
    """A SOQL datetime literal in UTC, to the millisecond (SystemModstamp's precision)."""
    utc = require_aware(value).astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_datetime(value: str) -> datetime:
    """Salesforce's timestamps ("2013-05-07T22:07:19.000+0000") as aware datetimes."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def select(sobject: str, fields: Sequence[str], where: str | None = None) -> str:
    if not fields:
        raise ValueError("at least one field is required")
    soql = f"SELECT {', '.join(name(f) for f in fields)} FROM {name(sobject)}"
    return f"{soql} WHERE {where}" if where else soql


def changes_query(
    sobject: str, fields: Sequence[str], since: tuple[datetime, str] | None, limit: int
) -> str:
    """One keyset page: rows strictly after (modstamp, id), ordered by (SystemModstamp, Id).

    SystemModstamp is not unique, so the Id breaks ties; LIMIT keeps every page bounded
    however large the backlog.
    """
    wanted = list(dict.fromkeys(["Id", "SystemModstamp", *fields]))
    where = None
    if since is not None:
        modstamp, last_id = since
        stamp = datetime_literal(modstamp)
        where = (
            f"(SystemModstamp > {stamp} OR "
            f"(SystemModstamp = {stamp} AND Id > {quote(record_id(last_id))}))"
        )
    return f"{select(sobject, wanted, where)} ORDER BY SystemModstamp, Id LIMIT {int(limit)}"
