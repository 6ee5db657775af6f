"""Run one scenario in this process and print its figures as one JSON line:
`python -m bench.child NAME SIZE`. The harness runs every scenario this way, so that each
gets a clean process (memory figures, settings, Tortoise state)."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys

from bench.sizes import SIZES

MARK = "BENCH-FIGURES "


def main() -> None:
    name, size = sys.argv[1], SIZES[sys.argv[2]]
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    module = importlib.import_module(f"bench.scenarios.{name}")
    figures = asyncio.run(module.run(size))
    print(MARK + json.dumps([f.as_json() for f in figures]), flush=True)


if __name__ == "__main__":
    main()
