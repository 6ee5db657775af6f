"""The naive baseline in the same run: the same initial load (B Accounts, 2B Contacts) and
the same tick (C changes on each side), once by the engine and once by a hand-written
script making one API call per record read and written (bench/naive.py), each on fresh
sandboxes. Figures are the script's; the engine's are the baseline they are divided by."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from bench.env import ROOT, bench_env, child_env, run_worker, set_env
from bench.figures import Figure
from bench.scenarios.tick import edit_both_sides
from bench.sizes import Size
from bench.world import Sandboxes, connect_org, sandboxes


async def engine(accounts: int, changes: int) -> dict[str, tuple[float, int, int]]:
    """{"initial" | "tick": (seconds, Salesforce calls, ForceManager calls)}."""
    figures = {}
    with sandboxes(accounts) as boxes:
        async with bench_env("postgres") as values:
            values |= boxes.settings()
            values["FORCEMANAGER_RATE_LIMIT"] = "1000000"
            set_env(values)
            org_id = await connect_org(boxes)
            for step in ("initial", "settle", "tick"):
                if step == "tick":
                    edit_both_sides(boxes, changes)
                boxes.reset_counters()
                answer = await run_worker(values, [org_id])
                run = answer["runs"][0]
                if run["status"] != "SUCCESS":
                    raise RuntimeError(f"engine {step} ended {run['status']}")
                figures[step] = (run["seconds"], boxes.sf_calls(), boxes.fm_calls())
    return figures


async def naive_step(boxes: Sandboxes, step: str, state: Path) -> tuple[float, int, int]:
    boxes.reset_counters()
    env = child_env(boxes.settings() | {"NAIVE_FORCEMANAGER_URL": boxes.fm_url})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.naive", step, str(state), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"naive {step} exited {proc.returncode}: {err.decode()[-2000:]}")
    seconds = json.loads(out.decode().strip().splitlines()[-1])["seconds"]
    return seconds, boxes.sf_calls(), boxes.fm_calls()


async def naive(accounts: int, changes: int) -> dict[str, tuple[float, int, int]]:
    figures = {}
    with sandboxes(accounts) as boxes, tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.json"
        figures["initial"] = await naive_step(boxes, "initial", state)
        await asyncio.sleep(1.1)  # Salesforce stamps are whole seconds: edits land after the load's
        edit_both_sides(boxes, changes)
        figures["tick"] = await naive_step(boxes, "tick", state)
    return figures


async def run(size: Size) -> list[Figure]:
    accounts = size.baseline_accounts
    changes = max(1, accounts // 10)
    ours = await engine(accounts, changes)
    theirs = await naive(accounts, changes)
    figures = []
    for step, what in (("initial", f"initial load {accounts:,} acc + {2 * accounts:,} con"),
                       ("tick", f"tick, {changes:,} changes each side")):
        for i, (name, unit) in enumerate((("time", "s"), ("Salesforce calls", "calls"),
                                          ("ForceManager calls", "calls"))):
            figures.append(Figure(
                "baseline", f"naive {what}: {name}", theirs[step][i], unit, ours[step][i],
                "engine, same run", note="" if i else "ForceManager limit off on both sides",
            ))
    return figures
