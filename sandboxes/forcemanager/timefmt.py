"""Timestamps: kept as integer milliseconds since the epoch (small, ordered), written on the
wire as ISO 8601 in UTC with milliseconds, e.g. 2025-03-01T10:15:30.123Z."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def format_time(ms: int | None) -> str | None:
    if ms is None:
        return None
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)  # twice as fast as datetime; lists render millions of these
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        f"T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{millis:03d}Z"
    )


def parse_time(text: str) -> int:
    """Any ISO 8601 date or date-time, to the millisecond; without an offset it is UTC.
    ValueError otherwise."""
    return round(parse_instant(text))


def parse_instant(text: str) -> float:
    """Like parse_time, but exact (a fraction of a millisecond is kept): filters compare
    stored milliseconds with whatever precision the caller wrote."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    whole = int(moment.replace(microsecond=0).timestamp()) * 1000
    return whole + moment.microsecond / 1000


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)
