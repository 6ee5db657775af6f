"""Live feed: S WebSocket subscribers of one org on the real API server (its own process),
events published to Redis at R a second through server.events (as the worker does):
delivery latency p50 / p99 and the API process's memory."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from datetime import UTC, datetime

from redis.asyncio import Redis

from bench.env import ROOT, ApiProcess, bench_env, child_env, cpu_seconds
from bench.figures import Figure, at_least, at_most, percentile
from bench.sizes import Size

CLIENT_PROCESSES = 2  # subscribers are spread over processes so the load generator keeps up
TARGET_P99_MS = 250.0


def event(n: int) -> dict[str, object]:
    return {
        "id": n, "entity": "ACCOUNT", "salesforceId": f"001{n:015d}", "forcemanagerId": n,
        "recordName": f"Account {n}", "action": "UPDATED",
        "direction": "SALESFORCE_TO_FORCEMANAGER", "status": "SUCCESS", "errorCode": None,
        "errorMessage": None, "ownerFallback": False, "runId": 1,
        "at": datetime.now(UTC).isoformat(),
    }


async def publish(redis: Redis, org_id: int, rate: int, seconds: float) -> int:
    """Publish at `rate` a second, paced on a schedule (no drift); returns how many."""
    from server.events import publish_record

    total = int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await publish_record(redis, org_id, event(n + 1))
    return total


async def start_clients(values: dict[str, str], url: str, token: str, count: int
                        ) -> list[asyncio.subprocess.Process]:
    share = [count // CLIENT_PROCESSES + (i < count % CLIENT_PROCESSES)
             for i in range(CLIENT_PROCESSES)]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.subscribers", url, token, str(n), cwd=ROOT,
            env=child_env(values), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in share if n
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 180)
        if line.strip() != b"READY":
            raise RuntimeError(f"subscribers did not start: {line!r}")
    return procs


async def collect(procs: list[asyncio.subprocess.Process]) -> dict[str, object]:
    latencies: list[float] = []
    received = 0
    last = 0.0
    resets: dict[str, int] = {}
    for proc in procs:
        out, _ = await proc.communicate(b"stop\n")
        answer = json.loads(out.decode().strip().splitlines()[-1])
        latencies += answer["latencies"]
        received += answer["received"]
        last = max(last, answer.get("last") or 0.0)
        for reason, n in answer["resets"].items():
            resets[reason] = resets.get(reason, 0) + n
    return {"latencies": latencies, "received": received, "resets": resets, "last": last}


async def run(size: Size) -> list[Figure]:
    from server.config import get_settings
    from server.organizations.service import create_organization

    count, rate = size.subscribers, size.events_per_second
    async with bench_env("sqlite") as values:
        org, token = await create_organization("Bench", "business")
        api = ApiProcess(values)
        redis = Redis.from_url(get_settings().redis_url)
        try:
            await api.wait_ready()
            idle_mb, _ = api.memory_mb()
            procs = await start_clients(values, api.url.replace("http", "ws") + "/graphql",
                                        token, count)
            subscribed_mb, _ = api.memory_mb()
            cpu_before, started = cpu_seconds(api.proc.pid), time.perf_counter()
            started_at = time.time()  # the clients stamp arrivals with the wall clock
            clients_before = sum(cpu_seconds(p.pid) for p in procs)
            published = await publish(redis, org.id, rate, size.live_seconds)
            await asyncio.sleep(2.0)  # let the last events arrive
            window = time.perf_counter() - started
            api_cpu = (cpu_seconds(api.proc.pid) - cpu_before) / window
            clients_cpu = (sum(cpu_seconds(p.pid) for p in procs) - clients_before) / window
            busy_mb, peak_mb = api.memory_mb()
            got = await collect(procs)
        finally:
            await redis.aclose()
            api.stop()
    latencies: list[float] = got["latencies"]  # type: ignore[assignment]
    expected = published * count
    received: int = got["received"]  # type: ignore[assignment]
    delivered = received / expected
    # Over the publishing and the tail it took to deliver, not the fixed 2 s pause after it.
    span = got["last"] - started_at if got["last"] else window  # type: ignore[operator]
    pushed = got["received"] / max(span, 1e-9)  # type: ignore[operator]
    p50 = percentile(latencies, 50) if latencies else None
    p99 = percentile(latencies, 99) if latencies else None
    tag = f"{count} subscribers, {rate} ev/s"
    return [
        Figure("live", f"{tag}: latency p50", p50, "ms"),
        Figure("live", f"{tag}: latency p99", p99, "ms", target="< 250 ms",
               met=at_most(p99, TARGET_P99_MS)),
        Figure("live", f"{tag}: delivered", delivered * 100, "%", target="100 %",
               met=at_least(delivered, 1.0),
               note=f"feed resets: {got['resets']}" if got["resets"] else "",
               extra={"expected": expected, "received": got["received"]}),
        Figure("live", f"{tag}: messages delivered per second", pushed, "msg/s",
               rate * count, "offered: subscribers x events/s",
               note="what one API process pushed out, from the first publish to the last "
               "arrival; " + (
                   "all of the offered load" if delivered >= 1.0 else
                   f"the offered load needs this many processes: "
                   f"{math.ceil(rate * count / max(pushed, 1))}")),
        Figure("live", f"{tag}: API process CPU", api_cpu * 100, "% of a core",
               note="near 100 % = the API process is the bottleneck (one event loop)",
               extra={"cpu_us_per_message": round(api_cpu * window / max(received, 1) * 1e6, 2)}),
        Figure("live", f"{tag}: subscriber clients CPU", clients_cpu * 100, "% of a core",
               note=f"{CLIENT_PROCESSES} load-generator processes on the same cores as the "
               "API process"),
        Figure("live", f"{tag}: API memory", busy_mb, "MB", idle_mb, "idle API process",
               extra={"subscribed_mb": subscribed_mb, "peak_mb": peak_mb}),
    ]
