"""Fan-out of an org's events to the subscribers this API process holds.

One reader task per org with subscribers runs `XREAD BLOCK` on the org's streams from the
newest id it has delivered and hands each entry to every subscriber's queue. A subscriber
that lets its queue fill up is cut off (told to resume from its last cursor) instead of
stalling the reader or growing memory. A subscriber resuming with a cursor reads what it
missed with XRANGE, then continues from the live fan-out without a gap or a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server import events
from server.live.streams import (
    Entry,
    StreamId,
    decode_entry,
    entries_after,
    last_id,
    resumable,
    start_of_unfinished_run,
)

logger = logging.getLogger(__name__)

RECORDS = "records"
PROGRESS = "progress"


@dataclass(frozen=True)
class Reset:
    """The feed ends here. reason: CURSOR_EXPIRED or UNKNOWN_CURSOR (events were lost: the
    client must reload), SLOW_CONSUMER or SERVER_SHUTDOWN (resubscribe with
    after=resume_after to continue without a gap)."""

    reason: str
    resume_after: str | None = None


def stream_key(org_id: int, kind: str) -> str:
    return events.record_stream(org_id) if kind == RECORDS else events.progress_stream(org_id)


class _Subscriber:
    __slots__ = ("accept", "active", "items", "kind", "limit", "waiter")

    def __init__(
        self, kind: str, accept: Callable[[dict[str, Any]], bool] | None, limit: int
    ) -> None:
        self.kind = kind
        self.accept = accept
        self.limit = limit
        # What the reader handed out and the subscriber has not taken yet. Not bounded by
        # the container: the reader enforces `limit` itself so that the final Reset always
        # fits behind the events already queued.
        self.items: deque[Entry | Reset] = deque()
        self.waiter: asyncio.Future[None] | None = None
        # Inactive while catching up from Redis: it keeps its reader alive but gets nothing.
        self.active = False

    def offer(self, entry: Entry) -> bool:
        """Queue entry if wanted; False when the subscriber just fell too far behind."""
        if not self.active or (self.accept is not None and not self.accept(entry.data)):
            return True
        if len(self.items) >= self.limit:
            self._put(Reset("SLOW_CONSUMER"))
            return False
        self._put(entry)
        return True

    def end(self, reset: Reset) -> None:
        self._put(reset)

    def _put(self, item: Entry | Reset) -> None:
        self.items.append(item)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def take(self) -> list[Entry | Reset]:
        """Everything queued, at least one item: a subscriber that wakes up takes all that
        arrived meanwhile, so its frames go out together."""
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        items = list(self.items)
        self.items.clear()
        return items


class _OrgReader:
    def __init__(self, hub: LiveHub, org_id: int) -> None:
        self.hub = hub
        self.org_id = org_id
        self.subscribers: set[_Subscriber] = set()
        self.positions: dict[str, StreamId] = {}
        self.ready = asyncio.Event()
        self.task = asyncio.create_task(self._run(), name=f"live-reader-{org_id}")

    async def _run(self) -> None:
        redis = self.hub.redis
        streams = {kind: stream_key(self.org_id, kind) for kind in (RECORDS, PROGRESS)}
        backoff = 0.0
        while True:
            try:
                if not self.ready.is_set():
                    # The newest ids, read before any subscriber catches up with XRANGE: what
                    # a subscriber's catch-up does not cover, this reader delivers.
                    for kind, key in streams.items():
                        self.positions[kind] = await last_id(redis, key)
                    self.ready.set()
                elif backoff:
                    await self._check_retention(streams)
                reply = await redis.xread(
                    {key: str(self.positions[kind]) for kind, key in streams.items()},
                    count=self.hub.batch,
                    block=self.hub.block_ms,
                )
                backoff = 0.0
            except RedisError as exc:
                backoff = min(max(backoff * 2, 0.5), 10.0)
                logger.warning("live reader for org %s: %s; retrying", self.org_id, exc)
                await asyncio.sleep(backoff)
                continue
            except Exception:
                # A reader that dies leaves its subscribers waiting forever: never let it.
                backoff = min(max(backoff * 2, 0.5), 10.0)
                logger.exception("live reader for org %s failed; retrying", self.org_id)
                await asyncio.sleep(backoff)
                continue
            for key, rows in reply or ():
                name = key.decode() if isinstance(key, bytes) else key
                kind = RECORDS if name == streams[RECORDS] else PROGRESS
                for entry_id, fields in rows:
                    entry = decode_entry(entry_id, fields, shared=True)
                    self.positions[kind] = entry.id
                    self._fan_out(kind, entry)

    async def _check_retention(self, streams: dict[str, str]) -> None:
        """After an outage: if the stream was trimmed past our position, nobody can be
        served without a gap."""
        for kind, key in streams.items():
            reason = await resumable(self.hub.redis, key, self.positions[kind])
            if reason:
                self.positions[kind] = await last_id(self.hub.redis, key)
                for sub in [s for s in self.subscribers if s.kind == kind]:
                    sub.end(Reset(reason))
                    self.subscribers.discard(sub)

    def _fan_out(self, kind: str, entry: Entry) -> None:
        for sub in list(self.subscribers):
            if sub.kind == kind and not sub.offer(entry):
                self.subscribers.discard(sub)


class LiveHub:
    """One per API process. start() and stop() belong in the app's lifespan."""

    def __init__(
        self,
        redis_url: str,
        *,
        queue_limit: int = 1000,
        block_ms: int = 5000,
        batch: int = 200,
        client_name: str = "fmsf-live-hub",
    ) -> None:
        self.redis_url = redis_url
        # Shows in CLIENT LIST, so an operator can tell the hub's connections apart.
        self.client_name = client_name
        self.queue_limit = queue_limit
        self.block_ms = block_ms
        # A reader hands out a whole batch before a subscriber can run: a batch larger than
        # the queue would cut off even a subscriber that keeps up.
        self.batch = min(batch, queue_limit)
        self._redis: Redis | None = None
        self._readers: dict[int, _OrgReader] = {}

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("LiveHub.start() was not called")
        return self._redis

    @property
    def reader_count(self) -> int:
        return len(self._readers)

    def subscriber_count(self, org_id: int) -> int:
        reader = self._readers.get(org_id)
        return len(reader.subscribers) if reader else 0

    async def start(self) -> None:
        self._redis = Redis.from_url(self.redis_url, client_name=self.client_name)

    async def stop(self) -> None:
        readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            for sub in reader.subscribers:
                sub.end(Reset("SERVER_SHUTDOWN"))
            reader.task.cancel()
        await asyncio.gather(*(r.task for r in readers), return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def feed(
        self,
        org_id: int,
        kind: str,
        *,
        after: StreamId | None = None,
        accept: Callable[[dict[str, Any]], bool] | None = None,
        replay_run: bool = False,
    ) -> AsyncIterator[Entry | Reset]:
        """The org's events of one kind from now on, or from just after `after`, those that
        `accept` takes (all when None). Ends after yielding a Reset. replay_run (progress):
        start with the events of the run in progress, if any, so a new subscriber sees
        where it stands."""
        batches = self.feed_batches(
            org_id, kind, after=after, accept=accept, replay_run=replay_run
        )
        async with aclosing(batches):
            async for batch in batches:
                for item in batch:
                    yield item

    async def feed_batches(
        self,
        org_id: int,
        kind: str,
        *,
        after: StreamId | None = None,
        accept: Callable[[dict[str, Any]], bool] | None = None,
        replay_run: bool = False,
    ) -> AsyncGenerator[list[Entry | Reset], None]:
        """feed(), as the lists of events that arrived together (never empty): a subscriber
        handles each list in one go instead of resuming a generator per event."""
        key = stream_key(org_id, kind)
        if replay_run and after is None:
            after = await start_of_unfinished_run(self.redis, key)
        elif after is not None:
            reason = await resumable(self.redis, key, after)
            if reason:
                yield [Reset(reason)]
                return
        sub = _Subscriber(kind, accept, self.queue_limit)
        reader = self._join(org_id, sub)
        try:
            await reader.ready.wait()
            delivered = after
            if after is not None:
                # Catch up from Redis at this subscriber's own pace, and only join the live
                # fan-out once level with the reader: no await between the check and
                # joining, so whatever the reader hands out next is newer than `delivered`.
                while True:
                    page = await entries_after(self.redis, key, delivered, page=self.batch)
                    if page:
                        delivered = page[-1].id
                        wanted = [e for e in page if accept is None or accept(e.data)]
                        if wanted:
                            yield wanted  # type: ignore[misc]
                    if not page or (len(page) < self.batch and delivered >= reader.positions[kind]):
                        break
            sub.active = True
            # Entries the catch-up sent already come first, in order: once one is newer
            # than `delivered`, all that follow are.
            overlap = delivered is not None
            while True:
                items = await sub.take()
                if overlap:
                    fresh = [i for i in items if isinstance(i, Reset) or i.id > delivered]
                    overlap = not fresh
                    items = fresh
                    if not items:
                        continue
                last = items[-1]
                # A Reset is always the last item: the reader hands nothing out after it.
                if isinstance(last, Reset):
                    entries = items[:-1]
                    if entries:
                        delivered = entries[-1].id  # type: ignore[union-attr]
                    gap = last.reason in ("CURSOR_EXPIRED", "UNKNOWN_CURSOR")
                    resume = str(delivered) if delivered and not gap else None
                    yield [*entries, Reset(last.reason, resume)]
                    return
                delivered = last.id
                yield items
        finally:
            self._leave(org_id, reader, sub)

    def _join(self, org_id: int, sub: _Subscriber) -> _OrgReader:
        reader = self._readers.get(org_id)
        if reader is None:
            reader = self._readers[org_id] = _OrgReader(self, org_id)
        reader.subscribers.add(sub)
        return reader

    def _leave(self, org_id: int, reader: _OrgReader, sub: _Subscriber) -> None:
        reader.subscribers.discard(sub)
        if not reader.subscribers and self._readers.get(org_id) is reader:
            # Nobody left: the reader goes; the next subscriber starts a fresh one.
            del self._readers[org_id]
            reader.task.cancel()
