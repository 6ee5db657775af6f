"""Reading the event streams of server/events.py: cursors, catch-up pages, retention."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

logger = logging.getLogger(__name__)

_CURSOR = re.compile(r"^(\d{1,20})-(\d{1,20})$")


class InvalidCursor(ValueError):
    """A cursor that this service never handed out (not of the form "<ms>-<seq>")."""


@dataclass(frozen=True, order=True)
class StreamId:
    ms: int
    seq: int

    @classmethod
    def parse(cls, value: str | bytes) -> StreamId:
        text = value.decode() if isinstance(value, bytes) else value
        match = _CURSOR.match(text)
        if not match:
            raise InvalidCursor(f"{text!r} is not a cursor of this feed")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"

    def before(self) -> StreamId:
        """The greatest id smaller than this one: reading after it starts with this one."""
        return StreamId(self.ms, self.seq - 1) if self.seq else StreamId(self.ms - 1, 2**64 - 1)

    @property
    def time(self) -> datetime:
        """When Redis appended the entry."""
        return datetime.fromtimestamp(self.ms / 1000, tz=UTC)


ZERO = StreamId(0, 0)


@dataclass(frozen=True)
class Entry:
    """One event as read from a stream; id is the cursor to resume after it."""

    id: StreamId
    data: dict[str, Any]
    # Handed by the hub's reader to every subscriber of the org (the same object to each),
    # unlike an entry read for one subscriber's catch-up: worth deriving things from once.
    shared: bool = field(default=False, compare=False)

    @property
    def cursor(self) -> str:
        return str(self.id)


def decode_entry(entry_id: str | bytes, fields: dict[Any, Any], *, shared: bool = False) -> Entry:
    """An entry's event; an unreadable one (not written by server/events.py) becomes an
    empty event, which the feed skips, rather than breaking every subscriber's feed."""
    raw = fields.get(b"data", fields.get("data", b"{}"))
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        logger.warning("stream entry %r holds no event", entry_id)
        data = {}
    return Entry(StreamId.parse(entry_id), data, shared)


async def last_id(redis: Redis, stream: str) -> StreamId:
    """The id of the newest entry, or 0-0 when the stream is empty or absent."""
    newest = await redis.xrevrange(stream, count=1)
    return StreamId.parse(newest[0][0]) if newest else ZERO


async def entries_after(
    redis: Redis, stream: str, after: StreamId, *, page: int = 500
) -> list[Entry]:
    """One page of entries strictly after `after`, oldest first."""
    rows = await redis.xrange(stream, min=f"({after}", count=page)
    return [decode_entry(entry_id, fields) for entry_id, fields in rows]


async def resumable(redis: Redis, stream: str, after: StreamId) -> str | None:
    """None if every entry after `after` is still in the stream; else why not:
    CURSOR_EXPIRED (entries after it were trimmed away) or UNKNOWN_CURSOR (it is newer than
    anything this stream ever held, e.g. Redis was emptied since)."""
    try:
        info = await redis.xinfo_stream(stream)
    except ResponseError:  # no such key: nothing was ever published, or Redis lost it
        return "UNKNOWN_CURSOR" if after > ZERO else None
    if after > StreamId.parse(info["last-generated-id"]):
        return "UNKNOWN_CURSOR"
    trimmed = int(info.get("entries-added", info["length"])) > int(info["length"])
    first = info.get("first-entry")
    if trimmed and (first is None or after < StreamId.parse(first[0])):
        # The trimmed entries all precede the first retained one; some may follow `after`.
        return "CURSOR_EXPIRED"
    return None


async def start_of_unfinished_run(
    redis: Redis, stream: str, *, scan: int = 1000
) -> StreamId | None:
    """In a progress stream: the id just before the latest STARTED event when no FINISHED
    follows it (a run is in progress), so that reading after it replays that run."""
    rows = await redis.xrevrange(stream, count=scan)
    for entry_id, fields in rows:
        kind = decode_entry(entry_id, fields).data.get("type")
        if kind == "FINISHED":
            return None
        if kind == "STARTED":
            return StreamId.parse(entry_id).before()
    return None
