"""A run starts from the ForceManager session the org's last run kept: a tick makes no login
call, an expired session costs one login, and the session is kept encrypted and only for
the API keys it was issued for."""

from __future__ import annotations

from redis.asyncio import Redis

from server.clients.forcemanager import ForceManagerClient
from server.config import get_settings
from server.integration import fm_sessions
from server.models import RunStatus
from tests.sync.conftest import World


def logins(world: World) -> int:
    return int(world.fm.counters()["by_kind"].get("login", 0))


async def kept(redis: Redis, org_id: int) -> list[bytes]:
    pattern = f"{get_settings().redis_prefix}:fm-session:{org_id}:*"
    return [await redis.get(key) async for key in redis.scan_iter(match=pattern)]


async def test_a_tick_reuses_the_session_of_the_run_before(world: World) -> None:
    assert (await world.sync()).status is RunStatus.SUCCESS  # the initial load logs in
    world.fm.reset_counters()
    tick = await world.sync()
    assert tick.status is RunStatus.SUCCESS
    assert logins(world) == 0
    assert tick.forcemanager_calls == world.fm.counters()["total"]


async def test_an_expired_session_costs_one_login_then_is_kept_again(world: World) -> None:
    await world.sync()
    assert world.fm.expire_sessions() >= 1
    world.fm.reset_counters()
    assert (await world.sync()).status is RunStatus.SUCCESS
    assert logins(world) == 1
    world.fm.reset_counters()
    assert (await world.sync()).status is RunStatus.SUCCESS
    assert logins(world) == 0


async def test_the_session_is_kept_encrypted(world: World) -> None:
    await world.sync()
    values = await kept(world.redis, world.org_id)
    assert len(values) == 1
    live_tokens = list(world.fm.sandbox.sessions._tokens)
    assert live_tokens and not any(token.encode() in values[0] for token in live_tokens)


async def test_other_api_keys_never_pick_up_the_session(redis: Redis) -> None:
    first = ForceManagerClient("http://127.0.0.1:9/api/v4", "public-a", "private-a")
    first.session_key = "session-of-a"
    await fm_sessions.keep(redis, 7, first)

    same_keys = ForceManagerClient("http://127.0.0.1:9/api/v4", "public-a", "private-a")
    other_private = ForceManagerClient("http://127.0.0.1:9/api/v4", "public-a", "private-b")
    other_org = ForceManagerClient("http://127.0.0.1:9/api/v4", "public-a", "private-a")
    await fm_sessions.restore(redis, 7, same_keys)
    await fm_sessions.restore(redis, 7, other_private)
    await fm_sessions.restore(redis, 8, other_org)
    assert same_keys.session_key == "session-of-a"
    assert other_private.session_key is None
    assert other_org.session_key is None
    for client in (first, same_keys, other_private, other_org):
        await client.aclose()
