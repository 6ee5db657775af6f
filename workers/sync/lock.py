"""One run per org at a time, whichever worker runs it: a Redis lease that the running job
keeps renewing. A worker that dies stops renewing, the lease lapses within SYNC_LEASE_SECONDS,
and the next cron tick sees the run as abandoned."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets

from redis.asyncio import Redis

from server.config import get_settings


def lease_seconds() -> float:
    # Short in tests that kill a worker and wait for its lease to lapse.
    return float(os.environ.get("SYNC_LEASE_SECONDS", "30"))

# Extend only if we still own it (compare-and-set).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def lock_key(org_id: int) -> str:
    return f"{get_settings().redis_prefix}:sync-lock:{org_id}"


class OrgLock:
    def __init__(self, redis: Redis, org_id: int) -> None:
        self.redis = redis
        self.key = lock_key(org_id)
        self.token = secrets.token_hex(8)
        self._renewer: asyncio.Task[None] | None = None
        self.lease = lease_seconds()

    async def acquire(self) -> bool:
        self.lease = lease_seconds()
        taken = await self.redis.set(self.key, self.token, nx=True, px=int(self.lease * 1000))
        if taken:
            self._renewer = asyncio.create_task(self._renew())
        return bool(taken)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            await self.redis.eval(_RENEW, 1, self.key, self.token, int(self.lease * 1000))

    async def release(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self.redis.eval(_RELEASE, 1, self.key, self.token)


async def is_held(redis: Redis, org_id: int) -> bool:
    return bool(await redis.exists(lock_key(org_id)))
