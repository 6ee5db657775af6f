"""What a scenario runs on: a fresh database (SQLite file or a PostgreSQL database of its
own), a Redis namespace, settings in the environment, and child processes (the API server,
a worker) that share them."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
from cryptography.fernet import Fernet

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parent.parent


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def set_env(values: dict[str, str]) -> None:
    """Settings are read once per process: set the variables, then forget the cached ones."""
    from server.config import get_settings

    os.environ.update(values)
    os.environ.pop("REQUESTS_CA_BUNDLE", None)  # would override the sandbox CA for requests
    os.environ.pop("CURL_CA_BUNDLE", None)
    get_settings.cache_clear()


@asynccontextmanager
async def bench_env(database: str = "sqlite") -> AsyncIterator[dict[str, str]]:
    """A fresh database of the given kind and a Redis prefix of its own, put in os.environ;
    yields the variables (for child processes). Creates the schema; drops it all at the end."""
    from server.db import close_db, init_db

    with tempfile.TemporaryDirectory(prefix="fmsf-bench-") as tmp:
        name = f"fmsf_bench_{uuid.uuid4().hex[:10]}"
        if database == "sqlite":
            url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        else:
            await _pg_admin(f'CREATE DATABASE "{name}"')
            url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        values = {
            "DATABASE_URL": url,
            "DATA_DIR": tmp,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": f"bench{uuid.uuid4().hex[:8]}",
            "SECRET_KEY": Fernet.generate_key().decode(),
        }
        set_env(values)
        analyzer = None
        try:
            await init_db(url, create_schema=True)
            if database != "sqlite":
                analyzer = asyncio.create_task(_analyze_every(url, ANALYZE_SECONDS))
            yield values
        finally:
            if analyzer is not None:
                analyzer.cancel()
                await asyncio.gather(analyzer, return_exceptions=True)
            await close_db()
            await _drop_redis_keys(values["REDIS_PREFIX"])
            if database != "sqlite":
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The local PostgreSQL runs with autovacuum off, so tables that grow during a run never get
# statistics and the planner keeps the plans of empty tables (a 200-id lookup in record_link
# scanned every link of the entity: ~1 s per batch at 100k links). Production runs
# autovacuum; the bench stands in for its auto-analyze.
ANALYZE_SECONDS = 15.0


async def _analyze_every(url: str, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
            try:
                await conn.execute("ANALYZE")
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError):
            continue  # the database is going away at the end of the scenario


async def _drop_redis_keys(prefix: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(match=f"*{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await redis.delete(*keys[start : start + 1000])
    finally:
        await redis.aclose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(values: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **values}
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    return env


class ApiProcess:
    """The real API server (uvicorn server.app:app) in a process of its own, so that its
    latency and memory are not mixed with the load generator's."""

    def __init__(self, values: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server.app:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=child_env(values),
        )

    async def wait_ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient() as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the API server exited with {self.proc.returncode}")
                try:
                    if (await http.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the API server did not become healthy")
                await asyncio.sleep(0.2)

    def memory_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) in MB, from /proc."""
        return process_memory_mb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory_mb(pid: int) -> tuple[float, float]:
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(rest.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def run_worker(values: dict[str, str], org_ids: list[int],
                     profile: str | None = None) -> dict[str, object]:
    """Run bench.worker for these orgs in a child process; its JSON answer."""
    import json

    env = child_env(values)
    if profile:
        env["BENCH_PROFILE"] = profile
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.worker", *map(str, org_ids),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"worker exited {proc.returncode}: {err.decode()[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])
