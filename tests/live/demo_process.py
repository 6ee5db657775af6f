"""`python -m server demo` as a child process on free ports, as `make run` starts it."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.fixtures.services import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
READY = "Press Ctrl-C to stop."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningDemo:
    process: subprocess.Popen[str]
    api_port: int
    salesforce_port: int
    forcemanager_port: int
    data_dir: Path
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def salesforce_admin(self) -> str:
        return f"https://127.0.0.1:{self.salesforce_port}/_sandbox"

    @property
    def ca_cert(self) -> Path:
        return self.data_dir / "demo-tls" / "ca.pem"

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> str:
        """Read the demo's output until a line contains text; that line."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"the demo did not print {text!r} within {timeout:.0f} s:\n{self.output}"
                ) from None
            if line is None:
                raise AssertionError(f"the demo ended before printing {text!r}:\n{self.output}")
            if text in line:
                return line

    def found(self, pattern: str) -> str:
        match = re.search(pattern, self.output)
        assert match, f"{pattern!r} not in the demo's output:\n{self.output}"
        return match[1]

    @property
    def token(self) -> str:
        return self.found(r"Admin token\s+(\S+)")

    @property
    def child_pids(self) -> list[int]:
        return [int(self.found(r"API server pid (\d+)")), int(self.found(r"worker pid (\d+)"))]

    def graphql(self, query: str) -> dict:
        reply = httpx.post(f"{self.api_url}/graphql", json={"query": query},
                           headers={"Authorization": f"Bearer {self.token}"}, timeout=30)
        body = reply.json()
        assert "errors" not in body, body
        return body["data"]

    def interrupt(self, timeout: float = 30.0) -> int:
        """What Ctrl-C in a terminal does: SIGINT to the demo's process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)


def _pump(process: subprocess.Popen[str], demo: RunningDemo) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        demo.lines.append(line.rstrip("\n"))
        demo._queue.put(line)
    demo._queue.put(None)


@contextmanager
def running_demo(
    data_dir: Path, redis_prefix: str, **env: str
) -> Iterator[RunningDemo]:
    """Start the demo and wait until it is ready (initial sync done, people at work)."""
    ports = [free_port() for _ in range(3)]
    environment = {
        key: value for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "ALLOWED_ORIGINS")
    }
    environment.update({
        "DATA_DIR": str(data_dir),
        "PORT": str(ports[0]),
        "SALESFORCE_SANDBOX_PORT": str(ports[1]),
        "FORCEMANAGER_SANDBOX_PORT": str(ports[2]),
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "DEMO_ACTIVITY_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
        **env,
    })
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "demo"], cwd=ROOT, env=environment, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    demo = RunningDemo(process, *ports, data_dir)
    threading.Thread(target=_pump, args=(process, demo), daemon=True).start()
    try:
        demo.wait_for(READY, timeout=180)
        yield demo
    finally:
        if process.poll() is None:
            try:
                demo.interrupt()
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
