"""A worker process that syncs the given orgs one after the other with the real engine
(workers.sync.run.sync_org), then prints one JSON line: each run's outcome, seconds and CPU
seconds (all of the process's threads), and the process's peak memory. BENCH_PROFILE=path
writes a pyinstrument profile of it all.

    python -m bench.worker ORG_ID [ORG_ID ...]
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path


async def sync(org_ids: list[int]) -> list[dict[str, object]]:
    from redis.asyncio import Redis

    from server.config import get_settings
    from server.db import close_db, init_db
    from workers.sync.run import sync_org

    await init_db()
    redis = Redis.from_url(get_settings().redis_url)
    runs = []
    try:
        for org_id in org_ids:
            started, cpu = time.perf_counter(), time.process_time()
            status = await sync_org(redis, org_id, "BENCH")
            runs.append({"org": org_id, "status": status,
                         "seconds": time.perf_counter() - started,
                         "cpu_seconds": time.process_time() - cpu})
    finally:
        await redis.aclose()
        await close_db()
    return runs


def peak_rss_mb() -> float:
    """This process's peak resident memory since its exec (VmHWM). Not ru_maxrss: Linux
    carries the forking parent's peak over the exec, and the parent holds the sandboxes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    org_ids = [int(a) for a in sys.argv[1:]]
    profile_path = os.environ.get("BENCH_PROFILE")
    if profile_path:
        from pyinstrument import Profiler

        with Profiler(async_mode="enabled") as profiler:
            runs = asyncio.run(sync(org_ids))
        with open(profile_path, "w") as out:
            out.write(profiler.output_text(unicode=True, show_all=False))
    else:
        runs = asyncio.run(sync(org_ids))
    peak_mb = peak_rss_mb()
    print(json.dumps({"runs": runs, "peak_mb": peak_mb}), flush=True)


if __name__ == "__main__":
    main()
