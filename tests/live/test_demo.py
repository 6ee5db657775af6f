"""`make run`: the demo starts everything, records flow both ways, Ctrl-C stops it all."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.fixtures.services import REDIS_URL, START_REDIS
from tests.live.demo_process import ROOT, free_port, running_demo
from tests.live.wsclient import GraphQLWebSocket

FEED = """subscription { syncEvents(after: "0-0") { __typename
  ... on SyncEvent { id entity action direction status runId cursor } } }"""


async def test_the_demo_syncs_both_ways_and_stops_cleanly_on_ctrl_c(
    redis: Redis, redis_prefix: str, tmp_path: Path
):
    with running_demo(tmp_path / "data", redis_prefix) as demo:
        assert "/monitor" in demo.output and "/graphql" in demo.output
        state = demo.graphql("{ salesforceIntegration { state plan entities { entity enabled } "
                             "connection { username } } }")["salesforceIntegration"]
        assert state["state"] == "ACTIVE" and state["plan"] == "business"
        assert state["connection"]["username"]
        assert {e["entity"] for e in state["entities"] if e["enabled"]} >= {"ACCOUNT", "CONTACT"}

        ws = await GraphQLWebSocket.open(
            f"ws://127.0.0.1:{demo.api_port}/graphql", demo.token)
        await ws.subscribe(FEED)
        # From the start of the feed: the initial load (Salesforce → ForceManager) first.
        first = (await ws.next_payload())["data"]["syncEvents"]
        initial_run = first["runId"]
        cursors = [first["cursor"]]
        seen: set[str] = set()
        async with asyncio.timeout(120):
            while len(seen) < 2:
                # People at work keep changing both CRMs; ask for a sync rather than wait for
                # the next minute's tick.
                demo.graphql("mutation { syncNow { __typename } }")
                try:
                    async with asyncio.timeout(5):
                        while len(seen) < 2:
                            event = (await ws.next_payload())["data"]["syncEvents"]
                            cursors.append(event["cursor"])
                            if event["runId"] != initial_run and event["status"] == "SUCCESS":
                                seen.add(event["direction"])
                except TimeoutError:
                    continue
        assert seen == {"SALESFORCE_TO_FORCEMANAGER", "FORCEMANAGER_TO_SALESFORCE"}
        ordered = [tuple(map(int, c.split("-"))) for c in cursors]
        assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)
        await ws.close()

        children = demo.child_pids
        assert demo.interrupt() == 0
        assert "Stopped." in demo.output
        for pid in children:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", demo.api_port)


def test_the_demo_says_what_to_start_when_redis_is_not_answering(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DATA_DIR": str(tmp_path), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                "PORT": str(free_port())})
    done = subprocess.run([sys.executable, "-m", "server", "demo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Redis is not answering" in done.stderr
    assert START_REDIS in done.stderr


def test_the_demo_says_which_port_is_taken(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update({"DATA_DIR": str(tmp_path), "REDIS_URL": REDIS_URL,
                    "PORT": str(free_port()), "SALESFORCE_SANDBOX_PORT": str(port)})
        done = subprocess.run([sys.executable, "-m", "server", "demo"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"Port {port} for the Salesforce sandbox is taken" in done.stderr
    assert "SALESFORCE_SANDBOX_PORT" in done.stderr
