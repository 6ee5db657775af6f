"""The arq worker: `arq workers.settings.WorkerSettings` (or `make worker`).

Any number of workers on any number of machines share the queue. A sync job is keyed by
org, kept for no time after it ends (so a new request right after is accepted) and given a
long timeout: an initial load of a large org takes hours, and a dead worker is detected by
its lapsed lease (workers/sync/lock.py), not by a timeout.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import cron, func

from server.db import close_db, init_db
from server.jobs import queue_name, redis_settings
from workers.sync.run import sync_org as run_sync
from workers.tick import tick

SYNC_TIMEOUT = 12 * 3600  # seconds
# A job a dead worker left behind is taken again; this bounds a job that kills its worker.
SYNC_MAX_TRIES = 20


async def sync_org(ctx: dict[str, Any], org_id: int, trigger: str) -> str:
    return await run_sync(ctx["redis"], org_id, trigger)


async def cron_tick(ctx: dict[str, Any]) -> None:
    await tick(ctx["redis"])


async def startup(ctx: dict[str, Any]) -> None:
    logging.basicConfig(level=logging.INFO)
    await init_db()


async def shutdown(ctx: dict[str, Any]) -> None:
    await close_db()


sync_function = func(
    sync_org, name="sync_org", keep_result=0, timeout=SYNC_TIMEOUT, max_tries=SYNC_MAX_TRIES
)


class WorkerSettings:
    functions = [sync_function]
    # Every minute: each org still runs once per its interval (next_run_at); the minute
    # granularity is what spreads orgs over the window.
    cron_jobs = [cron(cron_tick, name="sync_tick", second=0, run_at_startup=True,
                      keep_result=0)]
    redis_settings = redis_settings()
    queue_name = queue_name()
    on_startup = startup
    on_shutdown = shutdown
    job_timeout = SYNC_TIMEOUT
    keep_result = 0
    max_jobs = 10
