"""Scale: O orgs with small deltas, one real arq worker (workers.settings.WorkerSettings,
burst mode) draining a whole round of their sync jobs; from its time, how many workers
100,000 orgs need in a 15-minute window.

One org does a real initial load; the others are cloned from it in the database (links,
cursors, settings), as if each had loaded long ago. All orgs share the two sandboxes, so
every org sees the round's delta: a few Accounts edited on each side."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.env import ROOT, bench_env, child_env, run_worker, set_env
from bench.figures import Figure
from bench.scenarios.tick import edit_both_sides
from bench.sizes import Size
from bench.world import connect_org, sandboxes

WINDOW_SECONDS = 15 * 60
TARGET_ORGS = 100_000
DELTA = 2  # Accounts edited on each side before the round


async def clone_org(source_id: int, copies: int) -> list[int]:
    """Copies of an org that finished its initial load: same credentials, settings, user
    matches, cursors and record links. Returns the new org ids."""
    from server.models import (
        EntitySetting,
        Integration,
        Organization,
        RecordLink,
        SyncCursor,
        UserMatch,
    )

    def fields_of(row: Any, *skip: str) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k not in ("id", "organization_id", *skip)}

    org = (await Organization.filter(id=source_id).values())[0]
    integration = (await Integration.filter(organization_id=source_id).values())[0]
    settings = await EntitySetting.filter(organization_id=source_id).values()
    matches = await UserMatch.filter(organization_id=source_id).values()
    cursors = await SyncCursor.filter(organization_id=source_id).values()
    links = await RecordLink.filter(organization_id=source_id).values()
    later = datetime.now(UTC) + timedelta(days=1)  # the cron tick must not enqueue them
    new_ids = []
    for n in range(copies):
        clone = await Organization.create(**fields_of(org, "name"), name=f"Bench {n + 2}")
        new_ids.append(clone.id)
        await Integration.create(**fields_of(integration, "next_run_at"),
                                 organization_id=clone.id, next_run_at=later)
        for model, rows in ((EntitySetting, settings), (UserMatch, matches),
                            (SyncCursor, cursors), (RecordLink, links)):
            await model.bulk_create([model(**fields_of(r), organization_id=clone.id)
                                     for r in rows])
    await Integration.filter(organization_id=source_id).update(next_run_at=later)
    return new_ids


async def round_with_one_worker(values: dict[str, str], org_ids: list[int]) -> float:
    """Enqueue every org's sync job, run one arq worker in burst mode until the queue is
    empty; its wall time (process start included). No orgs: the start-up alone."""
    from server.jobs import arq_pool, enqueue_sync

    pool = await arq_pool()
    try:
        for org_id in org_ids:
            await enqueue_sync(pool, org_id, "SCHEDULE")
    finally:
        await pool.aclose()
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "arq", "--burst", "workers.settings.WorkerSettings",
        cwd=ROOT, env=child_env(values), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    if await proc.wait() != 0:
        raise RuntimeError(f"the arq worker exited {proc.returncode}")
    return time.perf_counter() - started


async def run(size: Size) -> list[Figure]:
    from server.models import RunStatus, SyncRun

    orgs = size.orgs
    with sandboxes(30) as boxes:
        async with bench_env("postgres") as values:
            values |= boxes.settings()
            values["FORCEMANAGER_RATE_LIMIT"] = "13"
            set_env(values)
            first = await connect_org(boxes)
            for _ in range(2):  # the initial load, then a tick that settles its cursors
                answer = await run_worker(values, [first])
                if answer["runs"][0]["status"] != "SUCCESS":
                    raise RuntimeError(f"setup sync ended {answer['runs'][0]['status']}")
            org_ids = [first, *await clone_org(first, orgs - 1)]
            startup = await round_with_one_worker(values, [])
            edit_both_sides(boxes, DELTA)
            boxes.reset_counters()
            since = datetime.now(UTC)
            seconds = await round_with_one_worker(values, org_ids)
            runs = await SyncRun.filter(started_at__gte=since).values("status")
            sf_calls, fm_calls = boxes.sf_calls(), boxes.fm_calls()
    succeeded = sum(1 for r in runs if r["status"] == RunStatus.SUCCESS)
    if succeeded != orgs:
        raise RuntimeError(f"{succeeded} of {orgs} runs succeeded: {runs[:5]}")
    per_org = (seconds - startup) / orgs
    per_worker = WINDOW_SECONDS / per_org
    workers = math.ceil(TARGET_ORGS / per_worker)
    arithmetic = (f"({seconds:.0f} s - {startup:.1f} s start-up) / {orgs} orgs = "
                  f"{per_org * 1000:.0f} ms per org; "
                  f"{WINDOW_SECONDS} s / {per_org:.3f} s = {per_worker:,.0f} orgs per worker "
                  f"per window; ⌈{TARGET_ORGS:,} / {per_worker:,.0f}⌉ = {workers} workers")
    return [
        Figure("scale", f"{orgs} orgs, small deltas: one worker's round", seconds, "s",
               WINDOW_SECONDS, "the 15-minute window", "fits the window",
               seconds <= WINDOW_SECONDS, extra={"max_jobs": 10}),
        Figure("scale", "worker start-up, empty queue", startup, "s"),
        Figure("scale", "time per org (one worker, 10 jobs at once)", per_org * 1000, "ms"),
        Figure("scale", "orgs one worker serves per 15 min", per_worker, "orgs"),
        Figure("scale", "workers for 100,000 orgs", workers, "workers", note=arithmetic),
        Figure("scale", "Salesforce calls per org per round", sf_calls / orgs, "calls"),
        Figure("scale", "ForceManager calls per org per round", fm_calls / orgs, "calls"),
    ]
