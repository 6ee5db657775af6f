"""The sync job on real arq workers and real Redis: a worker killed mid-run, two workers on
one org, coalescing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from arq import Worker
from arq.connections import ArqRedis

from server.config import get_settings
from server.jobs import arq_pool, enqueue_sync, queue_name, redis_settings
from server.models import Integration, IntegrationState, RecordLink, RunStatus, SyncRun
from tests.sync.conftest import World
from workers.settings import sync_function
from workers.sync.lock import is_held
from workers.sync.run import sync_org
from workers.tick import tick

ROOT = Path(__file__).resolve().parents[2]


def in_process_worker() -> Worker:
    """A worker on this process's database (no startup hook), that stops when idle."""
    return Worker(
        functions=[sync_function],
        redis_settings=redis_settings(),
        queue_name=queue_name(),
        burst=True,
        poll_delay=0.05,
        keep_result=0,
        handle_signals=False,
    )


@pytest.fixture
async def pool(world: World, redis_prefix: str) -> ArqRedis:
    pool = await arq_pool()
    yield pool
    keys = [k async for k in pool.scan_iter(match=f"arq:*{redis_prefix}*")]
    if keys:
        await pool.delete(*keys)
    await pool.aclose()


async def _not(check: Awaitable[bool]) -> bool:
    return not await check


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    pytest.fail("condition not reached in time")


async def _assert_converged(world: World) -> None:
    for sobject, resource in (("Account", "accounts"), ("Contact", "contacts"),
                              ("Opportunity", "opportunities")):
        sf_ids = sorted(r["Id"] for r in world.sf_records(sobject) if not r["IsDeleted"])
        fm_ext = sorted(r["extId"] for r in await world.fm_records(resource))
        assert fm_ext == sf_ids, sobject  # every record exactly once
    links = await RecordLink.filter(organization_id=world.org_id)
    assert len({(link.entity, link.salesforce_id) for link in links}) == len(links)
    assert all(link.forcemanager_id for link in links)


async def test_worker_killed_mid_run_then_the_next_tick_converges(
    world: World, pool: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_LEASE_SECONDS", "1.5")
    world.sf.admin.faults(latency=0.3)  # a run long enough to be killed half-way
    env = {
        **os.environ,
        "SECRET_KEY": ",".join(get_settings().secret_keys),
        "PYTHONPATH": str(ROOT),
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "arq", "workers.settings.WorkerSettings",
        cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert await enqueue_sync(pool, world.org_id, "INITIAL")
        # Kill it once the accounts are in ForceManager, before the rest is loaded. (A
        # generous wait: the worker process starts slowly on a busy machine.)
        for _ in range(2400):
            assert worker.returncode is None, "the worker process exited by itself"
            loaded = [r for r in await world.fm_records("accounts") if r.get("extId")]
            if loaded:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the worker never started loading")
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()

    stuck = await SyncRun.get(organization_id=world.org_id)
    assert stuck.status is RunStatus.RUNNING  # the dead worker could not close it
    assert len(await world.fm_records("contacts")) < len(
        [c for c in world.sf_records("Contact") if not c["IsDeleted"]]
    )
    await _until(lambda: _not(is_held(pool, world.org_id)))  # its lease lapses
    world.sf.admin.clear_faults()

    assert world.org_id in await tick(pool)  # the tick sees the abandoned run...
    await in_process_worker().async_run()  # ...and another worker picks the job up again

    runs = await SyncRun.filter(organization_id=world.org_id).order_by("id")
    assert [r.status for r in runs] == [RunStatus.FAILED, RunStatus.SUCCESS]
    assert "interrupted" in runs[0].reason
    integration = await Integration.get(organization_id=world.org_id)
    assert integration.state is IntegrationState.ACTIVE
    await _assert_converged(world)


async def test_two_workers_one_org_never_run_at_once(world: World, pool: ArqRedis) -> None:
    world.sf.admin.faults(latency=0.05)
    assert await enqueue_sync(pool, world.org_id, "INITIAL")
    assert not await enqueue_sync(pool, world.org_id, "MANUAL")  # coalesced while pending
    workers = [in_process_worker(), in_process_worker()]
    running = [asyncio.create_task(w.async_run()) for w in workers]
    # While the job runs, more requests join it instead of queueing a second run...
    await _until(lambda: is_held(pool, world.org_id))
    assert not await enqueue_sync(pool, world.org_id, "MANUAL")
    # ...and a direct second run of the same org refuses to start.
    assert await sync_org(pool, world.org_id, "MANUAL") == "BUSY"
    await asyncio.gather(*running)
    runs = await SyncRun.filter(organization_id=world.org_id)
    assert len(runs) == 1 and runs[0].status is RunStatus.SUCCESS
    assert sum(w.jobs_complete for w in workers) == 1
    await _assert_converged(world)
    # Once it finished, a new request is accepted again.
    assert await enqueue_sync(pool, world.org_id, "MANUAL")


async def test_a_run_that_ends_while_the_tick_looks_is_not_revived(
    world: World, pool: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tick lists RUNNING runs, then checks each org's lease. A live worker closes its
    run, then lets the lease go: between the two looks a finished run has a free lease and
    must not be taken for a dead worker's (that ran orgs twice in a 1,000-org round)."""
    import workers.tick as tick_module

    run = await SyncRun.create(organization_id=world.org_id, kind="INCREMENTAL",
                               trigger="TEST", status=RunStatus.RUNNING)

    async def finished_meanwhile(redis: ArqRedis, org_id: int) -> bool:
        await SyncRun.filter(id=run.id).update(status=RunStatus.SUCCESS)
        return False  # the worker let its lease go

    monkeypatch.setattr(tick_module, "is_held", finished_meanwhile)
    assert await tick_module.revive_abandoned(pool) == []

    # A run still RUNNING with a free lease is a dead worker's: revived.
    dead = await SyncRun.create(organization_id=world.org_id, kind="INCREMENTAL",
                                trigger="TEST", status=RunStatus.RUNNING)
    monkeypatch.setattr(tick_module, "is_held", is_held)
    assert await tick_module.revive_abandoned(pool) == [world.org_id]
    assert (await SyncRun.get(id=dead.id)).status is RunStatus.RUNNING
