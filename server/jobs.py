"""Enqueueing sync jobs. The job id per org makes a pending request coalesce with a new one."""

from __future__ import annotations

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from server.config import get_settings


def queue_name() -> str:
    return f"{get_settings().redis_prefix}:queue"


def sync_job_id(org_id: int) -> str:
    # arq keeps job ids in one global keyspace (arq:job:<id>): the prefix keeps deployments
    # (and concurrent test runs) sharing a Redis from coalescing each other's jobs.
    return f"{get_settings().redis_prefix}:sync:{org_id}"


def redis_settings() -> RedisSettings:
    return RedisSettings.from_dsn(get_settings().redis_url)


async def arq_pool() -> ArqRedis:
    return await create_pool(redis_settings(), default_queue_name=queue_name())


async def enqueue_sync(pool: ArqRedis, org_id: int, trigger: str) -> bool:
    """Queue a sync of one org. False when one is already pending (it will do the work)."""
    job = await pool.enqueue_job(
        "sync_org",
        org_id,
        trigger,
        _job_id=sync_job_id(org_id),
        _queue_name=queue_name(),
    )
    return job is not None
