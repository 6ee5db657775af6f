"""Live events through Redis Streams: the worker appends, API processes read and fan out.

One stream per org and kind, trimmed to about EVENTS_STREAM_MAXLEN entries. A stream entry id
is the cursor a subscriber resumes from.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from server.config import get_settings


def record_stream(org_id: int) -> str:
    return f"{get_settings().redis_prefix}:events:{org_id}:records"


def progress_stream(org_id: int) -> str:
    return f"{get_settings().redis_prefix}:events:{org_id}:progress"


async def publish(redis: Redis, stream: str, event: dict[str, Any]) -> str:
    entry_id = await redis.xadd(
        stream,
        {"data": json.dumps(event, default=str)},
        maxlen=get_settings().events_stream_maxlen,
        approximate=True,
    )
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


async def publish_record(redis: Redis, org_id: int, event: dict[str, Any]) -> str:
    """event: the fields of a SyncLogEntry, camelCase, as recentSyncRecords shows them."""
    return await publish(redis, record_stream(org_id), event)


async def publish_records(redis: Redis, org_id: int, batch: list[dict[str, Any]]) -> list[str]:
    """Several record events in order, in one round trip to Redis (a pipeline)."""
    stream = record_stream(org_id)
    maxlen = get_settings().events_stream_maxlen
    pipe = redis.pipeline(transaction=False)
    for event in batch:
        pipe.xadd(stream, {"data": json.dumps(event, default=str)}, maxlen=maxlen,
                  approximate=True)
    ids = await pipe.execute()
    return [i.decode() if isinstance(i, bytes) else i for i in ids]


async def publish_progress(redis: Redis, org_id: int, event: dict[str, Any]) -> str:
    """event: {"type": "STARTED"|"PROGRESS"|"FINISHED", "runId", "entity"?, "processed"?,
    "total"?, "status"?, "reason"?}."""
    return await publish(redis, progress_stream(org_id), event)
