"""How big each scenario runs: `full` is sized per issue 6, `quick` finishes in a couple of
minutes, `tiny` is for the smoke test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    log_rows: int  # sync-log rows for the report queries
    queries: int  # timed requests per query
    subscribers: int  # WebSocket subscribers of one org
    events_per_second: int
    live_seconds: float
    loads: tuple[int, ...]  # Accounts per initial load (twice as many Contacts), limit off
    limited_load: int  # Accounts for the load with ForceManager's 13 requests/s on
    changes: int  # changed records on each side for the incremental tick
    orgs: int  # orgs with small deltas for the scale round
    baseline_accounts: int  # Accounts for the naive one-call-per-record baseline


FULL = Size("full", log_rows=1_000_000, queries=200, subscribers=500, events_per_second=200,
            live_seconds=20, loads=(10_000, 100_000), limited_load=10_000, changes=1_000,
            orgs=1_000, baseline_accounts=1_000)
QUICK = Size("quick", log_rows=50_000, queries=50, subscribers=100, events_per_second=100,
             live_seconds=5, loads=(1_000,), limited_load=500, changes=100, orgs=30,
             baseline_accounts=200)
TINY = Size("tiny", log_rows=2_000, queries=5, subscribers=5, events_per_second=20,
            live_seconds=1, loads=(60,), limited_load=30, changes=10, orgs=3,
            baseline_accounts=20)

SIZES = {s.name: s for s in (FULL, QUICK, TINY)}
