"""The live feed: Redis Streams read once per API process and fanned out to subscribers."""

from server.live.hub import PROGRESS, RECORDS, LiveHub, Reset
from server.live.streams import Entry, InvalidCursor, StreamId

__all__ = ["PROGRESS", "RECORDS", "Entry", "InvalidCursor", "LiveHub", "Reset", "StreamId"]
