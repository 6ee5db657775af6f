"""make bench: run every scenario (each in a process of its own), print the table and write
bench/results/latest.json.

    python -m bench [--quick] [--only NAME[,NAME]] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.child import MARK
from bench.figures import Figure, dump, table

# In the order issue 6 lists them.
SCENARIOS = ["initial", "tick", "reports", "live", "scale", "baseline"]
RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, str | int | None]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = next(
            int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except OSError:
        memory_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def run_scenario(name: str, size: str, timeout: float) -> tuple[list[Figure], float, str]:
    """(figures, seconds, error); a scenario that fails yields one figure saying so."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.child", name, size],
            capture_output=True, text=True, timeout=timeout,
            cwd=Path(__file__).resolve().parent.parent,
        )
    except subprocess.TimeoutExpired:
        return [], time.monotonic() - started, f"timed out after {timeout:.0f} s"
    seconds = time.monotonic() - started
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARK):
            return [Figure.from_json(f) for f in json.loads(line[len(MARK):])], seconds, ""
    tail = "\n".join(done.stderr.strip().splitlines()[-15:])
    return [], seconds, f"exit {done.returncode}: {tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    parser.add_argument("--size", choices=["full", "quick", "tiny"], help=argparse.SUPPRESS)
    parser.add_argument("--only", default="", help=f"comma-separated: {', '.join(SCENARIOS)}")
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default: "
                        "bench/results/latest.json, or quick.json with --quick)")
    parser.add_argument("--timeout", type=float, default=1800, help="per scenario, seconds")
    args = parser.parse_args(argv)
    size = args.size or ("quick" if args.quick else "full")
    names = [n.strip() for n in args.only.split(",") if n.strip()] or SCENARIOS
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    out = args.out or RESULTS / ("latest.json" if size == "full" else f"{size}.json")

    figures: list[Figure] = []
    runs: dict[str, dict[str, object]] = {}
    for name in names:
        print(f"-- {name} ({size}) ...", file=sys.stderr, flush=True)
        load_before = os.getloadavg()[0]
        got, seconds, error = run_scenario(name, size, args.timeout)
        # Other work on the machine skews absolute times: keep how busy it was.
        runs[name] = {"seconds": round(seconds, 1), "error": error or None,
                      "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
        if error:
            print(f"   {name} FAILED: {error}", file=sys.stderr, flush=True)
            got = [Figure(name, "scenario failed", None, "", note=error, met=False)]
        else:
            print(f"   {name}: {len(got)} figures in {seconds:.0f} s", file=sys.stderr)
        figures += got
    if args.only and out.exists():
        # A partial run replaces its scenarios' figures and keeps the others'.
        previous = json.loads(out.read_text())
        kept = [Figure.from_json(f) for f in previous["figures"] if f["scenario"] not in names]
        figures = sorted(kept + figures, key=lambda f: SCENARIOS.index(f.scenario))
        runs = {**previous["meta"].get("scenarios", {}), **runs}
    meta = {
        "size": size,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scenarios": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dump(figures, meta) + "\n")
    print(table(figures))
    notes = [f"- {f.scenario} / {f.name}: {f.note}" for f in figures if f.note]
    if notes:
        print("\n" + "\n".join(notes))
    print(f"\nmachine: {meta['machine']}\nfigures written to {out}")
    return 1 if any(r["error"] for r in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
