"""Incremental tick with five synced entities: API calls when nothing changed (target: one
Salesforce call, the Composite probe), then time and calls with C changes on each side."""

from __future__ import annotations

import asyncio
import math
import random

from bench.env import bench_env, run_worker, set_env
from bench.figures import Figure, at_most
from bench.sizes import Size
from bench.world import Sandboxes, connect_org, sandboxes
from server.clients.forcemanager.client import PAGE_SIZE as FM_PAGE
from server.entities import Direction, Entity
from workers.sync.incremental import FM_SETTLED

FIVE = {e: Direction.BIDIRECTIONAL
        for e in (Entity.ACCOUNT, Entity.CONTACT, Entity.OPPORTUNITY, Entity.TASK, Entity.EVENT)}
FM_RESOURCES_READ = 4  # accounts, contacts, opportunities, activities (Task and Event share it)
# Real ticks are SYNC_INTERVAL_MINUTES apart; a ForceManager read starts FM_SETTLED before the
# previous one, so ticks seconds apart would re-read the tail of the load. Waiting a little
# longer than that measures the steady state a 15-minute schedule sees.
SETTLE = FM_SETTLED.total_seconds() + 3
SOQL_PAGE = 2_000
WRITE_BATCH = 200


def edit_both_sides(boxes: Sandboxes, changes: int) -> None:
    """`changes` Accounts edited in Salesforce and `changes` other Accounts in ForceManager,
    as people would (each store stamps the edit's time and author)."""
    rng = random.Random(7)
    sf_store = boxes.sf.store
    accounts = sf_store.table("Account")
    ids = sorted(accounts.rows)[: 2 * changes]
    sf_ids, fm_ext_ids = ids[:changes], set(ids[changes:])
    author = sf_store.admin_user_id
    for sf_id in sf_ids:
        sf_store.update(sf_id, {"Phone": f"+34 600 {rng.randrange(10**6):06d}"}, author)
    fm_store = boxes.fm.store
    edited = 0
    for fm_id in fm_store.ids("accounts", include_deleted=False):
        if fm_store.get("accounts", fm_id).get("extId") in fm_ext_ids:
            fm_store.update("accounts", fm_id, {"phone": f"+34 700 {rng.randrange(10**6):06d}"})
            edited += 1
    if edited != changes:
        raise RuntimeError(f"edited {edited} ForceManager accounts, wanted {changes}")


async def tick(values: dict[str, str], boxes: Sandboxes, org_id: int) -> tuple[float, int, int]:
    boxes.reset_counters()
    answer = await run_worker(values, [org_id])
    run = answer["runs"][0]
    if run["status"] != "SUCCESS":
        raise RuntimeError(f"tick ended {run['status']}")
    return run["seconds"], boxes.sf_calls(), boxes.fm_calls()


async def run(size: Size) -> list[Figure]:
    changes = size.changes
    accounts = max(2 * changes, 200)
    with sandboxes(accounts, opportunities=accounts, tasks=accounts // 2,
                   events=accounts // 2) as boxes:
        async with bench_env("postgres") as values:
            values |= boxes.settings()
            values["FORCEMANAGER_RATE_LIMIT"] = "1000000"
            set_env(values)
            org_id = await connect_org(boxes, entities=FIVE)
            await tick(values, boxes, org_id)  # the initial load
            await asyncio.sleep(SETTLE)
            await tick(values, boxes, org_id)  # settles the cursors after it
            await asyncio.sleep(SETTLE)
            _, sf_idle, fm_idle = await tick(values, boxes, org_id)
            idle_counters = boxes.fm_counters()
            edit_both_sides(boxes, changes)
            await asyncio.sleep(SETTLE)
            seconds, sf_calls, fm_calls = await tick(values, boxes, org_id)
            counters = {"salesforce": boxes.sf_counters(), "forcemanager": boxes.fm_counters()}
    # Salesforce: the probe, the changed Accounts' query pages, the collection updates of
    # ForceManager's changes. ForceManager: the changed accounts' pages, one read of each
    # other synced resource (ForceManager has no batch read), the bulk updates; no login, as
    # a run starts from the session the last one kept (one that expired costs a login more).
    # ForceManager lists carry no total: a client knows it has read the last page only when
    # one comes back short (empty when C is a multiple of the page size), so C changes take
    # ⌊C/page⌋ + 1 reads at the least, not ⌈C/page⌉.
    sf_bound = 1 + math.ceil(changes / SOQL_PAGE) + math.ceil(changes / WRITE_BATCH)
    fm_bound = (changes // FM_PAGE + 1 + FM_RESOURCES_READ - 1
                + math.ceil(changes / WRITE_BATCH))
    tag = f"{changes:,} changes each side"
    return [
        Figure("tick", "no changes, 5 entities: Salesforce calls", sf_idle, "calls", 1,
               "one Composite probe", "1 call", sf_idle == 1),
        Figure("tick", "no changes, 5 entities: ForceManager calls", fm_idle, "calls",
               note="one read of each of the four synced resources (the session is the "
                    "last run's)",
               extra={"counters": idle_counters}),
        Figure("tick", f"{tag}: Salesforce calls", sf_calls, "calls", sf_bound,
               "probe + ⌈C/2000⌉ + ⌈C/200⌉", "≤ 1.1x bound", at_most(sf_calls / sf_bound, 1.1),
               extra={"counters": counters["salesforce"]}),
        Figure("tick", f"{tag}: ForceManager calls", fm_calls, "calls", fm_bound,
               f"⌊C/{FM_PAGE}⌋+1 + 3 + ⌈C/200⌉", "≤ 1.1x bound",
               at_most(fm_calls / fm_bound, 1.1),
               note="ForceManager lists have no total: the last page is known when one comes "
                    "back short, empty when C is a multiple of the page size",
               extra={"counters": counters["forcemanager"]}),
        Figure("tick", f"{tag}: time", seconds, "s",
               note="limit off; see the baseline scenario for the naive script's time"),
        Figure("tick", f"{tag}: records/s", 2 * changes / seconds, "rec/s"),
    ]
