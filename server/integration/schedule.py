"""When an org's automatic sync runs: every interval, at a stable offset into the window so
thousands of orgs do not all start at the same second."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta


def schedule_offset(org_id: int, interval_minutes: int) -> int:
    """Seconds into each window; derived from the org id, so it never changes."""
    digest = hashlib.sha256(f"org:{org_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (interval_minutes * 60)


def next_run_after(now: datetime, offset_seconds: int, interval_minutes: int) -> datetime:
    """The first tick strictly after `now`: epoch + offset + k * interval."""
    interval = interval_minutes * 60
    elapsed = int(now.timestamp()) - offset_seconds
    ticks = elapsed // interval + 1
    return datetime.fromtimestamp(offset_seconds + ticks * interval, UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


OAUTH_STATE_LIFETIME = timedelta(minutes=10)
