"""The cron tick: enqueue the orgs whose turn has come, and revive runs whose worker died.

The tick only enqueues; the job id per org (server/jobs.py) makes a second request for an
org coalesce with a pending one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix

from server.config import get_settings
from server.integration.schedule import next_run_after, schedule_offset
from server.jobs import enqueue_sync, sync_job_id
from server.models import Integration, IntegrationState, RunStatus, SyncRun
from server.synclog.service import prune
from workers.sync.lock import is_held

log = logging.getLogger(__name__)

SCHEDULED = (IntegrationState.ACTIVE, IntegrationState.INITIAL_SYNC)


async def due_orgs(now: datetime) -> list[Integration]:
    return await Integration.filter(state__in=list(SCHEDULED), next_run_at__lte=now)


async def tick(pool: ArqRedis, now: datetime | None = None) -> list[int]:
    """Returns the org ids a sync was requested for."""
    now = now or datetime.now(UTC)
    requested: list[int] = []
    for integration in await due_orgs(now):
        org_id = integration.organization_id
        offset = integration.schedule_offset_seconds or schedule_offset(
            org_id, integration.interval_minutes
        )
        # Move the turn on first, so a slow queue never gets the same org twice a window.
        await Integration.filter(id=integration.id).update(
            next_run_at=next_run_after(now, offset, integration.interval_minutes)
        )
        await enqueue_sync(pool, org_id, "SCHEDULE")
        requested.append(org_id)
    requested += await revive_abandoned(pool)
    await prune_log_hourly(pool, now)
    return requested


async def prune_log_hourly(pool: ArqRedis, now: datetime) -> None:
    """Every worker runs the tick; a Redis key lets one of them prune, once an hour."""
    settings = get_settings()
    if await pool.set(f"{settings.redis_prefix}:log-pruned", "1", nx=True, ex=3600):
        removed = await prune(now - timedelta(days=settings.sync_log_retention_days))
        if removed:
            log.info("pruned %s sync log entries past retention", removed)


async def revive_abandoned(pool: ArqRedis) -> list[int]:
    """A RUNNING run whose org lease lapsed belongs to a dead worker. Its arq job is still
    queued but marked in progress until a long timeout; clearing that mark lets any worker
    take the job again, and the engine resumes from its checkpoints."""
    revived: list[int] = []
    running = await SyncRun.filter(status=RunStatus.RUNNING).values_list(
        "id", "organization_id"
    )
    by_org: dict[int, list[int]] = {}
    for run_id, org_id in running:
        by_org.setdefault(org_id, []).append(run_id)
    for org_id, run_ids in by_org.items():
        if await is_held(pool, org_id):
            continue
        # A live worker closes its run before it lets the lease go, so the run may have
        # finished between the query above and the lease check: it is abandoned only if it
        # is still RUNNING now that the lease is seen free. (Checked by id: a run a worker
        # started since is not one of these.)
        if not await SyncRun.filter(id__in=run_ids, status=RunStatus.RUNNING).exists():
            continue
        job_id = sync_job_id(org_id)
        await pool.delete(in_progress_key_prefix + job_id)
        await enqueue_sync(pool, org_id, "RESUME")
        log.warning("org %s: run abandoned by a dead worker; sync requested again", org_id)
        revived.append(org_id)
    return revived

