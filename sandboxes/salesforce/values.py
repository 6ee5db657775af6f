"""Salesforce ids and timestamps: the formats every answer uses."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta, timezone

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def make_id(prefix: str, number: int) -> str:
    """An 18-character id: key prefix, a pod-like '5g0', nine base-62 digits, checksum."""
    digits = []
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return with_checksum(prefix + "5g0" + "".join(reversed(digits)))


def with_checksum(id15: str) -> str:
    return id15 + _case_char(id15[0:5]) + _case_char(id15[5:10]) + _case_char(id15[10:15])


@functools.lru_cache(maxsize=1 << 16)
def _case_char(chunk: str) -> str:
    """Salesforce's checksum character: which of five characters are upper case."""
    return _SUFFIX[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]


def normalize_id(value: object) -> str | None:
    """The 18-character form of a well-formed id, or None if it is not one."""
    if not isinstance(value, str) or not _ID.match(value):
        return None
    full = with_checksum(value[:15])
    if len(value) == 18 and full[15:].upper() != value[15:].upper():
        return None
    return full


def format_datetime(moment: datetime) -> str:
    # isoformat is C code; the offset is always +00:00 after astimezone, written +0000.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "+0000"


_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(text: str, *, require_zone: bool = False) -> datetime | None:
    """ISO 8601 as Salesforce accepts it (Z, +00:00 or +0000); None when it is not one."""
    match = _DATETIME.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone is None and require_zone:
        return None
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            int((fraction or "0").ljust(6, "0")), tzinfo=timezone(offset),
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


def parse_date(text: str) -> date | None:
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def to_datetime(stored: str) -> datetime:
    """Back from the stored form (format_datetime's output)."""
    return datetime.fromisoformat(stored)


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
