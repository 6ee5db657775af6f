"""Initial load, Salesforce → ForceManager, of N Accounts and 2N Contacts by the real engine
in a worker process of its own: calls against their lower bounds, wall time against the
rate-limit bound (limit on), records per second (limit off), the worker's peak memory."""

from __future__ import annotations

import math
import time

from bench.env import bench_env, run_worker, set_env
from bench.figures import Figure, at_least, at_most
from bench.sizes import Size
from bench.world import FM_START, Sandboxes, connect_org, sandboxes

SOQL_PAGE = 2_000  # records per query call
FM_BULK = 200  # records per ForceManager bulk call
FM_PAGE = 500  # records per ForceManager list page
FM_RATE = 13.0  # requests a second on the better ForceManager plan
MEMORY_TARGET_MB = 300.0
RECORDS_PER_SECOND_TARGET = 5_000.0


def setup_floor() -> tuple[int, str]:
    """ForceManager calls any correct initial load of this world makes besides its record
    writes, from the product's rules and the API's shape (DESIGN.md), not from the engine:
    the login; the value lists the account map needs (account types, branches, countries);
    per resource, one read of its extra fields, one creation per Salesforce custom field
    (the API has no bulk form), the backup's reads of the records there (pages of 500 until
    a short one) and their removal in bulks of 200."""
    from sandboxes.salesforce.schema import OBJECTS

    custom = sum(1 for o in ("Account", "Contact") for f in OBJECTS[o].fields if f.custom)
    existing = (FM_START["accounts"], FM_START["contacts"])
    backup_reads = sum(n // FM_PAGE + 1 for n in existing)
    removals = sum(math.ceil(n / FM_BULK) for n in existing)
    calls = 1 + 3 + 2 + custom + backup_reads + removals
    return calls, (f"login 1 + value lists 3 + extra-field reads 2 + creations {custom} + "
                   f"backup reads {backup_reads} + removals {removals}")


def bounds(accounts: int) -> tuple[int, int]:
    """Fewest Salesforce query calls and ForceManager write calls for the load."""
    per_object = (accounts, 2 * accounts)
    sf = sum(math.ceil(n / SOQL_PAGE) for n in per_object)
    fm = sum(math.ceil(n / FM_BULK) for n in per_object)
    return sf, fm


async def load(accounts: int, *, limited: bool, database: str = "postgres"
               ) -> tuple[dict[str, object], Sandboxes, dict[str, object]]:
    """Run one initial load; (worker answer, sandboxes, loaded counts)."""
    with sandboxes(accounts, fm_rate_limit=FM_RATE if limited else None) as boxes:
        async with bench_env(database) as values:
            values |= boxes.settings()
            values["FORCEMANAGER_RATE_LIMIT"] = str(FM_RATE if limited else 1_000_000)
            set_env(values)
            org_id = await connect_org(boxes)
            boxes.reset_counters()
            started = time.perf_counter()
            answer = await run_worker(values, [org_id])
            answer["wall"] = time.perf_counter() - started
            run = answer["runs"][0]
            if run["status"] != "SUCCESS":
                raise RuntimeError(f"initial load ended {run['status']}")
            answer["sf"] = boxes.sf_counters()
            answer["fm"] = boxes.fm_counters()
            loaded = {r: len(boxes.fm.store.ids(r, include_deleted=False))
                      for r in ("accounts", "contacts")}
            if loaded != {"accounts": accounts, "contacts": 2 * accounts}:
                raise RuntimeError(f"ForceManager holds {loaded} after the load")
            return answer, boxes, loaded


def fm_writes(counters: dict[str, object]) -> int:
    kinds: dict[str, int] = counters["by_kind"]  # type: ignore[assignment]
    return sum(n for kind, n in kinds.items()
               if kind.split()[0] in ("bulk_create", "bulk_update", "create", "update"))


def load_figures(tag: str, accounts: int, answer: dict, *, limited: bool) -> list[Figure]:
    records = 3 * accounts
    sf_bound, fm_bound = bounds(accounts)
    run = answer["runs"][0]
    seconds = run["seconds"]
    cpu = run["cpu_seconds"]
    sf_calls = int(answer["sf"].get("api", 0))
    fm_all = int(answer["fm"]["total"])
    writes = fm_writes(answer["fm"])
    setup, setup_note = setup_floor()
    figures = [
        Figure("initial", f"{tag}: Salesforce API calls", sf_calls, "calls", sf_bound,
               "⌈N/2000⌉ queries", "≤ 1.1x bound", at_most(sf_calls / sf_bound, 1.1),
               extra={"counters": answer["sf"]}),
        Figure("initial", f"{tag}: ForceManager calls (all)", fm_all, "calls", fm_bound,
               "⌈N/200⌉ bulk writes", "≤ 1.1x bound", at_most(fm_all / fm_bound, 1.1),
               extra={"counters": answer["fm"]}),
        Figure("initial", f"{tag}: ForceManager calls (all) against the floor with setup",
               fm_all, "calls", fm_bound + setup, f"⌈N/200⌉ + {setup} setup calls",
               note=setup_note),
        Figure("initial", f"{tag}: ForceManager write calls", writes, "calls", fm_bound,
               "⌈N/200⌉ bulk writes", "≤ 1.1x bound", at_most(writes / fm_bound, 1.1)),
    ]
    if limited:
        pace = fm_bound / FM_RATE
        figures.append(Figure("initial", f"{tag}: wall time, FM limit 13/s", seconds, "s", pace,
                              "FM writes / 13 per s", "≤ 1.2x bound",
                              at_most(seconds / pace, 1.2)))
    else:
        figures += [
            Figure("initial", f"{tag}: wall time, limit off", seconds, "s"),
            Figure("initial", f"{tag}: records/s, limit off", records / seconds, "rec/s",
                   target="≥ 5,000 rec/s",
                   met=at_least(records / seconds, RECORDS_PER_SECOND_TARGET)),
            Figure("initial", f"{tag}: records per second of worker CPU", records / cpu,
                   "rec/s", note="the engine's own cost, apart from the sandboxes and the "
                   "database it shares the cores with"),
        ]
    figures.append(Figure("initial", f"{tag}: worker peak memory", answer["peak_mb"], "MB",
                          target="< 300 MB" if accounts >= 100_000 else "",
                          met=at_most(answer["peak_mb"], MEMORY_TARGET_MB)
                          if accounts >= 100_000 else None))
    return figures


def label(accounts: int) -> str:
    return f"{accounts // 1000}k" if accounts >= 1000 else str(accounts)


async def run(size: Size) -> list[Figure]:
    figures: list[Figure] = []
    for accounts in size.loads:
        answer, _, _ = await load(accounts, limited=False)
        figures += load_figures(f"{label(accounts)} acc + {label(2 * accounts)} con", accounts,
                                answer, limited=False)
    accounts = size.limited_load
    answer, _, _ = await load(accounts, limited=True)
    figures += load_figures(f"{label(accounts)} acc + {label(2 * accounts)} con, limit on",
                            accounts, answer, limited=True)
    return figures
