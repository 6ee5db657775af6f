"""The per-process hub against a real Redis: order, fan-out, resume, retention, slow readers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.live import RECORDS, Entry, LiveHub, Reset, StreamId
from tests.fixtures.services import REDIS_URL
from tests.live.events import publish_records

ORG = 11


@pytest.fixture
async def hub(redis: Redis) -> AsyncIterator[LiveHub]:
    hub = LiveHub(REDIS_URL, queue_limit=5, block_ms=200)
    await hub.start()
    yield hub
    await hub.stop()


async def until(condition) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached within 5 s")


async def take(feed: AsyncIterator[Entry | Reset], n: int) -> list[Entry | Reset]:
    async with asyncio.timeout(5):
        return [await anext(feed) for _ in range(n)]


def numbers(items: list[Entry | Reset]) -> list[int]:
    return [item.data["id"] for item in items if isinstance(item, Entry)]


async def subscribed(hub: LiveHub, org_id: int, count: int) -> None:
    await until(lambda: hub.subscriber_count(org_id) == count)
    await hub._readers[org_id].ready.wait()


async def test_every_subscriber_gets_every_event_in_order_through_one_reader(hub, redis):
    feeds = [hub.feed(ORG, RECORDS) for _ in range(3)]
    readers = [asyncio.create_task(take(feed, 20)) for feed in feeds]
    await subscribed(hub, ORG, 3)
    assert hub.reader_count == 1

    await publish_records(redis, ORG, range(1, 21))

    for reader in readers:
        assert numbers(await reader) == list(range(1, 21))
    for feed in feeds:
        await feed.aclose()
    assert hub.reader_count == 0


async def test_resume_after_a_cursor_gets_exactly_the_missed_events_then_live(hub, redis):
    cursors = await publish_records(redis, ORG, range(1, 6))
    feed = hub.feed(ORG, RECORDS, after=StreamId.parse(cursors[1]))
    assert numbers(await take(feed, 3)) == [3, 4, 5]
    await publish_records(redis, ORG, [6, 7])
    assert numbers(await take(feed, 2)) == [6, 7]
    await feed.aclose()


async def test_resume_while_the_worker_keeps_publishing_has_no_gap_and_no_duplicate(hub, redis):
    cursors = await publish_records(redis, ORG, range(1, 51))
    # A live subscriber keeps the org's reader busy while the resuming one catches up.
    live = hub.feed(ORG, RECORDS)
    live_first = asyncio.create_task(anext(live))
    await subscribed(hub, ORG, 1)
    publishing = asyncio.create_task(publish_records(redis, ORG, range(51, 151)))
    resumed = hub.feed(ORG, RECORDS, after=StreamId.parse(cursors[9]))
    got = []
    async with asyncio.timeout(10):
        while len(got) < 140:
            item = await anext(resumed)
            assert isinstance(item, Entry), item
            got.append(item)
            if item.data["id"] % 4 == 0:
                await asyncio.sleep(0)  # let publishing and the reader interleave
    await publishing
    assert numbers(got) == list(range(11, 151))
    await live_first
    await live.aclose()
    await resumed.aclose()


async def test_filters_apply_to_the_catch_up_and_the_live_part(hub, redis):
    first = await publish_records(redis, ORG, [1], entity="CONTACT")
    await publish_records(redis, ORG, [2], entity="ACCOUNT")
    await publish_records(redis, ORG, [3], entity="CONTACT", status="ERROR")
    feed = hub.feed(ORG, RECORDS, after=StreamId.parse(first[0]),
                    accept=lambda data: data["entity"] == "CONTACT")
    assert numbers(await take(feed, 1)) == [3]
    await publish_records(redis, ORG, [4], entity="ACCOUNT")
    await publish_records(redis, ORG, [5], entity="CONTACT")
    assert numbers(await take(feed, 1)) == [5]
    await feed.aclose()


async def test_a_cursor_older_than_the_retained_window_is_told_to_reload(hub, redis, monkeypatch):
    monkeypatch.setenv("EVENTS_STREAM_MAXLEN", "10")
    from server.config import get_settings

    get_settings.cache_clear()
    # Approximate trimming drops whole stream nodes (100 entries each by default).
    cursors = await publish_records(redis, ORG, range(1, 301))
    feed = hub.feed(ORG, RECORDS, after=StreamId.parse(cursors[0]))
    assert await take(feed, 1) == [Reset("CURSOR_EXPIRED")]
    with pytest.raises(StopAsyncIteration):
        await anext(feed)
    # The newest cursors are still within the window.
    recent = hub.feed(ORG, RECORDS, after=StreamId.parse(cursors[-3]))
    assert numbers(await take(recent, 2)) == [299, 300]
    await recent.aclose()


async def test_a_cursor_the_stream_never_held_is_told_to_reload(hub, redis):
    feed = hub.feed(ORG, RECORDS, after=StreamId.parse("1-0"))
    assert await take(feed, 1) == [Reset("UNKNOWN_CURSOR")]
    cursors = await publish_records(redis, ORG, [1])
    ahead = StreamId(StreamId.parse(cursors[0]).ms + 60_000, 0)
    feed = hub.feed(ORG, RECORDS, after=ahead)
    assert await take(feed, 1) == [Reset("UNKNOWN_CURSOR")]


async def test_a_slow_subscriber_is_cut_off_without_stalling_the_others(hub, redis):
    slow = hub.feed(ORG, RECORDS)
    fast = hub.feed(ORG, RECORDS)
    slow_first = asyncio.create_task(anext(slow))
    fast_reads = asyncio.create_task(take(fast, 30))
    await subscribed(hub, ORG, 2)

    await publish_records(redis, ORG, range(1, 31))
    # The fast one reads everything while the slow one reads nothing after its first.
    assert numbers(await fast_reads) == list(range(1, 31))
    assert hub.subscriber_count(ORG) == 1

    # The slow one gets what fitted in its queue (limit 5), then a Reset it can resume from.
    got = [await slow_first] + await take(slow, 6)
    assert numbers(got) == [1, 2, 3, 4, 5, 6]
    assert got[-1] == Reset("SLOW_CONSUMER", resume_after=got[-2].cursor)
    resumed = hub.feed(ORG, RECORDS, after=StreamId.parse(got[-1].resume_after))
    assert numbers(await take(resumed, 24)) == list(range(7, 31))
    for feed in (slow, fast, resumed):
        await feed.aclose()


async def test_orgs_do_not_see_each_others_events(hub, redis):
    mine = hub.feed(ORG, RECORDS)
    first = asyncio.create_task(anext(mine))
    await subscribed(hub, ORG, 1)
    await publish_records(redis, ORG + 1, [1, 2])
    await publish_records(redis, ORG, [3])
    assert numbers([await first]) == [3]
    assert hub.reader_count == 1
    await mine.aclose()


async def test_stopping_the_hub_tells_subscribers_where_to_resume(redis):
    hub = LiveHub(REDIS_URL, block_ms=200)
    await hub.start()
    feed = hub.feed(ORG, RECORDS)
    first = asyncio.create_task(anext(feed))
    await subscribed(hub, ORG, 1)
    cursors = await publish_records(redis, ORG, [1])
    assert numbers([await first]) == [1]
    await hub.stop()
    assert await take(feed, 1) == [Reset("SERVER_SHUTDOWN", resume_after=cursors[0])]


async def test_the_reader_picks_up_where_it_was_after_losing_its_connection(redis):
    name = f"hub-{uuid.uuid4().hex[:8]}"
    hub = LiveHub(REDIS_URL, block_ms=200, client_name=name)
    await hub.start()
    try:
        feed = hub.feed(ORG, RECORDS)
        reads = asyncio.create_task(take(feed, 6))
        await subscribed(hub, ORG, 1)
        await publish_records(redis, ORG, [1, 2, 3])
        await until(lambda: hub._readers[ORG].positions[RECORDS] > StreamId(0, 0))
        # Redis drops the hub's connections (restart, failover, idle timeout...).
        killed = 0
        for client in await redis.client_list():
            if client["name"] == name:
                killed += await redis.client_kill_filter(_id=client["id"])
        assert killed >= 1
        await publish_records(redis, ORG, [4, 5, 6])
        assert numbers(await reads) == [1, 2, 3, 4, 5, 6]
        await feed.aclose()
    finally:
        await hub.stop()
