"""Live events through Redis Streams: the worker appends, API processes read and fan out.

One stream per org and kind, trimmed to about EVENTS_STREAM_MAXLEN entries. A stream entry id
is the cursor a subscriber resumes from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from server.config import get_settings


def record_stream(org_id: int) -> str:
    return f"{get_settings().redis_prefix}:events:{org_id}:records"


def progress_stream(org_id: int) -> str:
    return f"{get_settings().redis_prefix}:events:{org_id}:progress"


# One encoder for every event: json.dumps(default=str) builds a new one per call.
_encode = json.JSONEncoder(default=str, check_circular=False).encode

# A batch's XADDs done by Redis itself, in order, from one command: a pipeline still packs
# and parses one command per record, which was most of a load's publishing CPU.
# ARGV: maxlen, then each entry's JSON; the answer is the new entry ids in order.
_XADD_ALL = """
local ids = {}
for i = 2, #ARGV do
    ids[i - 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'data', ARGV[i])
end
return ids
"""
_XADD_ALL_SHA = hashlib.sha1(_XADD_ALL.encode()).hexdigest()
# Entries a script call adds at most: Redis runs a script without serving anyone else.
SCRIPT_BATCH = 1_000


async def _xadd_all(redis: Redis, stream: str, args: list[Any]) -> list[Any]:
    try:
        return await redis.evalsha(_XADD_ALL_SHA, 1, stream, *args)
    except NoScriptError:  # a Redis that has not seen it yet (or restarted): EVAL caches it
        return await redis.eval(_XADD_ALL, 1, stream, *args)


async def publish(redis: Redis, stream: str, event: dict[str, Any]) -> str:
    entry_id = await redis.xadd(
        stream,
        {"data": _encode(event)},
        maxlen=get_settings().events_stream_maxlen,
        approximate=True,
    )
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


async def publish_record(redis: Redis, org_id: int, event: dict[str, Any]) -> str:
    """event: the fields of a SyncLogEntry, camelCase, as recentSyncRecords shows them."""
    return await publish(redis, record_stream(org_id), event)


async def publish_records(redis: Redis, org_id: int, batch: list[dict[str, Any]]) -> list[str]:
    """Several record events in order, one stream entry each ({"data": JSON}, as publish
    writes), in one command to Redis."""
    if not batch:
        return []
    stream = record_stream(org_id)
    maxlen = get_settings().events_stream_maxlen
    ids: list[Any] = []
    for start in range(0, len(batch), SCRIPT_BATCH):
        part = [_encode(event) for event in batch[start : start + SCRIPT_BATCH]]
        ids += await _xadd_all(redis, stream, [maxlen, *part])
    return [i.decode() if isinstance(i, bytes) else i for i in ids]


async def publish_progress(redis: Redis, org_id: int, event: dict[str, Any]) -> str:
    """event: {"type": "STARTED"|"PROGRESS"|"FINISHED", "runId", "entity"?, "processed"?,
    "total"?, "status"?, "reason"?}."""
    return await publish(redis, progress_stream(org_id), event)
