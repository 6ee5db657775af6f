"""The text form of the change cursors kept in SyncCursor.value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workers.sync.convert import parse_datetime

# Lowest possible record id: "after (t, FLOOR_ID)" means "everything from t on".
FLOOR_ID = "000000000000000"


def salesforce(value: str | None) -> tuple[datetime, str] | None:
    """"2025-03-01T10:15:30.123000+00:00|001..." → (modstamp, id)."""
    if not value:
        return None
    stamp, _, record_id = value.partition("|")
    return parse_datetime(stamp), record_id or FLOOR_ID


def salesforce_text(modstamp: datetime | str, record_id: str) -> str:
    stamp = parse_datetime(modstamp) if isinstance(modstamp, str) else modstamp
    return f"{stamp.isoformat()}|{record_id}"


def forcemanager(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def fm_literal(moment: datetime) -> str:
    """A datetime literal for ForceManager's `where` (UTC, milliseconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TailCounter:
    """How many of the rows read so far share the last row's SystemModstamp."""

    def __init__(self) -> None:
        self.stamp: str | None = None
        self.count = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            stamp = row["SystemModstamp"]
            if stamp == self.stamp:
                self.count += 1
            else:
                self.stamp, self.count = stamp, 1
