"""The cron tick and how it spreads orgs over the sync window."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from arq.connections import ArqRedis
from redis.asyncio import Redis

from server.integration.schedule import next_run_after, schedule_offset
from server.jobs import arq_pool, sync_job_id
from server.models import Integration, IntegrationState, Organization
from workers.tick import tick


def test_orgs_are_spread_over_the_window_and_keep_their_slot() -> None:
    interval = 15
    offsets = [schedule_offset(org_id, interval) for org_id in range(1, 3001)]
    assert offsets == [schedule_offset(org_id, interval) for org_id in range(1, 3001)]
    assert all(0 <= o < interval * 60 for o in offsets)
    per_minute = Counter(o // 60 for o in offsets)
    assert sorted(per_minute) == list(range(interval))  # every minute of the window is used
    average = len(offsets) / interval
    assert max(per_minute.values()) < 1.3 * average  # no minute gets a crowd
    assert min(per_minute.values()) > 0.7 * average


def test_next_run_is_one_interval_on_at_the_same_offset() -> None:
    now = datetime(2026, 1, 1, 10, 7, 30, tzinfo=UTC)
    offset = 125  # 2 min 5 s into each window
    first = next_run_after(now, offset, 15)
    assert first > now and (first.minute % 15, first.second) == (2, 5)
    assert next_run_after(first, offset, 15) - first == timedelta(minutes=15)


async def test_tick_enqueues_due_orgs_only_and_moves_their_turn_on(
    db: str, redis: Redis, redis_prefix: str
) -> None:
    now = datetime.now(UTC)
    past, future = now - timedelta(seconds=5), now + timedelta(minutes=5)
    made: dict[str, int] = {}
    for name, state, when in (
        ("due", IntegrationState.ACTIVE, past),
        ("later", IntegrationState.ACTIVE, future),
        ("paused", IntegrationState.PAUSED, past),
        ("error", IntegrationState.ERROR, past),
        ("loading", IntegrationState.INITIAL_SYNC, past),
    ):
        org = await Organization.create(name=name, plan="business")
        await Integration.create(organization=org, state=state, next_run_at=when,
                                 schedule_offset_seconds=schedule_offset(org.id, 15))
        made[name] = org.id
    pool: ArqRedis = await arq_pool()
    try:
        requested = await tick(pool, now)
        assert sorted(requested) == sorted([made["due"], made["loading"]])
        for name in ("due", "loading"):
            assert await pool.exists(f"arq:job:{sync_job_id(made[name])}")
        assert not await pool.exists(f"arq:job:{sync_job_id(made['paused'])}")
        due = await Integration.get(organization_id=made["due"])
        assert due.next_run_at > now
        assert int(due.next_run_at.timestamp()) % 900 == due.schedule_offset_seconds
        # Ticks before its new turn find nothing to do for that org; its turn enqueues it.
        assert made["due"] not in await tick(pool, due.next_run_at - timedelta(seconds=1))
        await pool.delete(f"arq:job:{sync_job_id(made['due'])}")
        assert made["due"] in await tick(pool, due.next_run_at)
    finally:
        keys = [k async for k in pool.scan_iter(match=f"arq:*{redis_prefix}*")]
        if keys:
            await pool.delete(*keys)
        await pool.aclose()
