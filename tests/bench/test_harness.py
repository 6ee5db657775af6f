"""The benchmark harness runs end to end (tiny sizes) and reports what it measured.
Benchmarks only: nothing here asserts a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.__main__ import SCENARIOS
from bench.figures import Figure, percentile, table

ROOT = Path(__file__).resolve().parents[2]


def test_live_scenario_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "tiny.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "tiny", "--only", "live", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    names = [f["name"].split(": ", 1)[1] for f in result["figures"]]
    assert names == ["latency p50", "latency p99", "delivered", "messages delivered per second",
                     "API process CPU", "subscriber clients CPU", "API memory"]
    # CPU is counted in clock ticks (10 ms): a tiny run's clients may not use one.
    assert all(f["value"] is not None and (f["value"] > 0 or f["unit"] == "% of a core")
               for f in result["figures"])
    delivered = next(f for f in result["figures"] if f["name"].endswith("delivered"))
    assert delivered["value"] == 100.0 and delivered["met"] is True
    assert result["meta"]["machine"]["cores"]
    assert result["meta"]["scenarios"]["live"]["error"] is None
    assert "| live" in done.stdout  # the table


def test_partial_run_keeps_the_other_scenarios_figures(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    old = Figure("reports", "statistics p95", 12.0, "ms", target="p95 < 50 ms", met=True)
    out.write_text(json.dumps({"meta": {"scenarios": {"reports": {"seconds": 1}}},
                               "figures": [old.as_json()]}))
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "tiny", "--only", "nope", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "unknown scenario" in done.stderr
    assert json.loads(out.read_text())["figures"][0]["value"] == 12.0


def test_every_scenario_has_a_runner() -> None:
    import importlib

    for name in SCENARIOS:
        assert callable(importlib.import_module(f"bench.scenarios.{name}").run), name


def test_ratio_percentile_and_table() -> None:
    figure = Figure("initial", "calls", 165, "calls", 150, "bound", "≤ 1.1x bound", True)
    assert figure.ratio == 1.1
    assert Figure("live", "p99", None, "ms").ratio is None
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 99) == 99.0
    lines = table([figure]).splitlines()
    assert len(lines) == 3 and "1.10x" in lines[2] and "150 (bound)" in lines[2]
