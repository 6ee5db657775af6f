"""One sync job for one org: take the org's lock, open a run, do the initial load or an
incremental tick, and close the run with its outcome, totals and API calls."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.clients.errors import ApiError, AuthError, QuotaExceeded
from server.clients.forcemanager import ForceManagerClient
from server.integration import fm_sessions
from server.integration.clients import forcemanager_client, salesforce_client
from server.integration.errors import ServiceError
from server.integration.state import finish_initial_sync, mark_error, mark_ran
from server.models import Integration, IntegrationState, RunKind, RunStatus, SyncRun
from workers.sync.context import load_engine
from workers.sync.incremental import run_incremental
from workers.sync.initial import run_initial
from workers.sync.lock import OrgLock

log = logging.getLogger(__name__)

RUNNABLE = (IntegrationState.INITIAL_SYNC, IntegrationState.ACTIVE)


async def close_abandoned(org_id: int) -> None:
    """Runs left RUNNING by a worker that died (we hold the lock, so none is alive)."""
    await SyncRun.filter(organization_id=org_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED,
        reason="interrupted: the worker stopped mid-run; the next run resumed from its "
        "last checkpoint",
        finished_at=datetime.now(UTC),
    )


async def sync_org(redis: Redis | None, org_id: int, trigger: str) -> str:
    """Returns the run's outcome, or "BUSY" / "SKIPPED" when no run was started."""
    lock = OrgLock(redis, org_id) if redis is not None else None
    if lock is not None and not await lock.acquire():
        return "BUSY"
    try:
        integration = await Integration.get_or_none(organization_id=org_id)
        if integration is None or integration.state not in RUNNABLE:
            return "SKIPPED"
        await close_abandoned(org_id)
        kind = (
            RunKind.INITIAL
            if integration.state is IntegrationState.INITIAL_SYNC
            else RunKind.INCREMENTAL
        )
        run = await SyncRun.create(
            organization_id=org_id, kind=kind, trigger=trigger[:20], status=RunStatus.RUNNING
        )
        return await _execute(redis, org_id, run)
    finally:
        if lock is not None:
            await lock.release()


async def _execute(redis: Redis | None, org_id: int, run: SyncRun) -> str:
    started = datetime.now(UTC)
    status, reason = RunStatus.SUCCESS, None
    sf = fm = engine = None
    try:
        sf = await salesforce_client(org_id)
        fm = await forcemanager_client(org_id)
        await fm_sessions.restore(redis, org_id, fm)
        engine = await load_engine(org_id, run, sf, fm, redis)
        await engine.publish("STARTED")
        if run.kind is RunKind.INITIAL:
            await run_initial(engine)
            await finish_initial_sync(org_id)
        else:
            await run_incremental(engine)
        problems = list(engine.entity_errors)
        if engine.failed:
            problems.append(f"{engine.failed} record(s) failed; see the sync log")
        if problems:
            status = RunStatus.PARTIAL
            reason = "; ".join(problems)
    except QuotaExceeded:
        status = RunStatus.PARTIAL
        reason = (
            "Salesforce API request limit reached (REQUEST_LIMIT_EXCEEDED); the next run "
            "continues from here"
        )
    except AuthError as exc:
        status = RunStatus.FAILED
        reason = f"Salesforce refused the credentials ({exc.code}); reconnect Salesforce"
        await mark_error(org_id, reason)
    except (ApiError, ServiceError) as exc:
        status = RunStatus.FAILED
        reason = f"{exc.code}: {exc.message}"
    except Exception as exc:  # a bug must not leave the run RUNNING forever
        log.exception("sync of org %s failed", org_id)
        status = RunStatus.FAILED
        reason = f"internal error: {type(exc).__name__}"
    finally:
        await SyncRun.filter(id=run.id).update(
            status=status,
            reason=reason,
            finished_at=datetime.now(UTC),
            salesforce_calls=sf.calls if sf is not None else 0,
            forcemanager_calls=fm.calls if fm is not None else 0,
        )
        if engine is not None:
            await engine.publish("FINISHED", status=status.value, reason=reason)
        if fm is not None:
            await _keep_session(redis, org_id, fm)
        for client in (sf, fm):
            if client is not None:
                await client.aclose()
        await mark_ran(org_id)
        if run.kind is RunKind.INITIAL and status is not RunStatus.SUCCESS:
            await _retry_initial_later(org_id)
    log.info("org %s %s run %s: %s in %s", org_id, run.kind, run.id, status,
             datetime.now(UTC) - started)
    return status.value


async def _keep_session(redis: Redis | None, org_id: int, fm: ForceManagerClient) -> None:
    try:
        await fm_sessions.keep(redis, org_id, fm)
    except RedisError:  # the next run logs in: one call, not a failed run
        log.warning("could not keep the ForceManager session of org %s", org_id)


async def _retry_initial_later(org_id: int) -> None:
    """An initial load that stopped early (quota, a failure) goes on at the next interval."""
    integration = await Integration.get(organization_id=org_id)
    if integration.state is IntegrationState.INITIAL_SYNC:
        await Integration.filter(id=integration.id).update(
            next_run_at=datetime.now(UTC) + timedelta(minutes=integration.interval_minutes)
        )
