"""`make run`: the whole product on one machine, with a demo org syncing between two sandboxes.

Starts the Salesforce sandbox (HTTPS) and the ForceManager sandbox on loopback ports, the API
server and an arq worker as child processes, then sets up a demo org on the business plan
through the GraphQL API (enable, connect with the password flow, entities, users, fallback
owner, initial sync) and turns on both sandboxes' "people at work" mode. Ctrl-C stops it all.

Environment: PORT (API, 8000), SALESFORCE_SANDBOX_PORT (8001), FORCEMANAGER_SANDBOX_PORT
(8002), DEMO_ACTIVITY_SECONDS (4: how often each sandbox's people change something),
REDIS_URL, REDIS_PREFIX (fmsf-demo), DATA_DIR (./data).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
# The demo's own Redis namespace (REDIS_PREFIX overrides it).
DEFAULT_REDIS_PREFIX = "fmsf-demo"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
ENTITIES = ("ACCOUNT", "CONTACT", "OPPORTUNITY")
# What people at work edit in ForceManager: the resources of ENTITIES.
FORCEMANAGER_RESOURCES = ["accounts", "contacts", "opportunities"]
INITIAL_SYNC_TIMEOUT = 300.0


class DemoError(Exception):
    """Something the person running the demo must fix; the message says what."""


@dataclass
class Demo:
    data_dir: Path
    api_port: int
    salesforce_port: int
    forcemanager_port: int
    activity_seconds: float
    redis_url: str
    redis_prefix: str
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    sandboxes: list[Any] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def salesforce_url(self) -> str:
        return f"https://{HOST}:{self.salesforce_port}"

    @property
    def forcemanager_url(self) -> str:
        return f"http://{HOST}:{self.forcemanager_port}"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "demo.sqlite3"

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "demo-tls"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "demo-logs"


def from_environment() -> Demo:
    from server.config import DATA_DIR

    def number(name: str, default: str) -> str:
        value = os.environ.get(name, default)
        try:
            float(value)
        except ValueError:
            raise DemoError(f"{name} must be a number, not {value!r}") from None
        return value

    return Demo(
        data_dir=DATA_DIR.resolve(),
        api_port=int(number("PORT", "8000")),
        salesforce_port=int(number("SALESFORCE_SANDBOX_PORT", "8001")),
        forcemanager_port=int(number("FORCEMANAGER_SANDBOX_PORT", "8002")),
        activity_seconds=float(number("DEMO_ACTIVITY_SECONDS", "4")),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        redis_prefix=os.environ.get("REDIS_PREFIX", DEFAULT_REDIS_PREFIX),
    )


# ---------------------------------------------------------------- preflight


def check_redis(url: str) -> None:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except RedisError as exc:
        raise DemoError(
            f"Redis is not answering at {url} ({exc}).\n"
            f"Start it with:\n    {START_REDIS}\n"
            "or point REDIS_URL at a running one, then run `make run` again."
        ) from None


def check_ports(demo: Demo) -> None:
    for name, port, variable in (
        ("the API server", demo.api_port, "PORT"),
        ("the Salesforce sandbox", demo.salesforce_port, "SALESFORCE_SANDBOX_PORT"),
        ("the ForceManager sandbox", demo.forcemanager_port, "FORCEMANAGER_SANDBOX_PORT"),
    ):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                raise DemoError(
                    f"Port {port} for {name} is taken (another demo running?). Stop it, or "
                    f"choose another port with {variable}=..."
                ) from None


def child_environment(demo: Demo) -> dict[str, str]:
    from sandboxes.forcemanager.api import BASE_PATH
    from sandboxes.salesforce import CLIENT_ID, CLIENT_SECRET

    env = dict(os.environ)
    # requests prefers these over a session's own CA bundle (the sandbox's throwaway CA).
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    env.update({
        "DATA_DIR": str(demo.data_dir),
        "DATABASE_URL": f"sqlite://{demo.database_path}",
        "REDIS_URL": demo.redis_url,
        "REDIS_PREFIX": demo.redis_prefix,
        "SALESFORCE_LOGIN_URL": demo.salesforce_url,
        "SALESFORCE_CA_BUNDLE": str(demo.tls_dir / "ca.pem"),
        "SALESFORCE_CLIENT_ID": CLIENT_ID,
        "SALESFORCE_CLIENT_SECRET": CLIENT_SECRET,
        "FORCEMANAGER_BASE_URL": demo.forcemanager_url + BASE_PATH,
        "SYNC_INTERVAL_MINUTES": "1",
        "PUBLIC_URL": demo.api_url,
    })
    return env


def remove_database(demo: Demo) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{demo.database_path}{suffix}").unlink(missing_ok=True)


async def fresh_state(demo: Demo) -> None:
    """A new database and no events from an earlier demo: the sandboxes start afresh too."""
    from arq.constants import (
        in_progress_key_prefix,
        job_key_prefix,
        result_key_prefix,
        retry_key_prefix,
    )
    from redis.asyncio import Redis

    from server.db import close_db, init_db

    await init_db(f"sqlite://{demo.database_path}", create_schema=True)
    await close_db()
    redis = Redis.from_url(demo.redis_url)
    try:
        # Events and queued jobs of an earlier demo would name org ids this fresh database
        # gives out again.
        patterns = [f"{demo.redis_prefix}:events:*"] + [
            f"{kind}{demo.redis_prefix}:sync:*"
            for kind in (job_key_prefix, in_progress_key_prefix, retry_key_prefix,
                         result_key_prefix)
        ]
        keys = [key for pattern in patterns async for key in redis.scan_iter(match=pattern)]
        await redis.delete(f"{demo.redis_prefix}:queue", *keys)
    finally:
        await redis.aclose()


# ---------------------------------------------------------------- processes


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the demo dies without cleaning up (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def spawn(demo: Demo, name: str, args: list[str], env: dict[str, str]) -> None:
    log = open(demo.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
    demo.children[name] = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        # Its own process group: Ctrl-C reaches the demo, which stops children in order.
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    log.close()


def start_processes(demo: Demo, env: dict[str, str]) -> None:
    demo.log_dir.mkdir(parents=True, exist_ok=True)
    spawn(demo, "api", ["-m", "uvicorn", "server.app:app", "--host", HOST,
                        "--port", str(demo.api_port)], env)
    spawn(demo, "worker", ["-c", "from arq.cli import cli; cli()",
                           "workers.settings.WorkerSettings"], env)


def start_sandboxes(demo: Demo) -> None:
    from sandboxes.forcemanager import create_sandbox as forcemanager_sandbox
    from sandboxes.salesforce import create_sandbox as salesforce_sandbox
    from sandboxes.server import BackgroundServer
    from sandboxes.tls import make_tls_files

    tls = make_tls_files(demo.tls_dir)
    salesforce = BackgroundServer(salesforce_sandbox(seed=1).app, HOST, demo.salesforce_port, tls)
    demo.sandboxes.append(salesforce.start())
    forcemanager = BackgroundServer(forcemanager_sandbox(seed=1).app, HOST,
                                    demo.forcemanager_port)
    demo.sandboxes.append(forcemanager.start())


def check_children(demo: Demo) -> None:
    for name, child in demo.children.items():
        if child.poll() is not None:
            raise DemoError(
                f"The {name} process stopped (exit code {child.returncode}); "
                f"see {demo.log_dir / (name + '.log')}"
            )


def stop(demo: Demo) -> None:
    """Children first (worker, then API: SIGTERM, then SIGKILL after 10 s), then sandboxes."""
    for name in ("worker", "api"):
        child = demo.children.get(name)
        if child is not None and child.poll() is None:
            child.terminate()
    for child in demo.children.values():
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for server in reversed(demo.sandboxes):
        server.stop()


# ---------------------------------------------------------------- the demo org


class Api:
    """The demo's GraphQL client: every answer checked, typed failures reported as such."""

    def __init__(self, demo: Demo, token: str) -> None:
        self.http = httpx.Client(base_url=demo.api_url, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"})

    def __call__(self, query: str, field_name: str, **variables: Any) -> dict[str, Any]:
        reply = self.http.post("/graphql", json={"query": query, "variables": variables})
        body = reply.json()
        if body.get("errors"):
            raise DemoError(f"{field_name}: {body['errors'][0]['message']}")
        result = body["data"][field_name]
        if isinstance(result, dict) and "code" in result and "message" in result:
            raise DemoError(f"{field_name}: {result['code']}: {result['message']}")
        return result


ERROR = "... on UserError { code message }"


def wait_for_api(demo: Demo, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_children(demo)
        try:
            if httpx.get(f"{demo.api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise DemoError(f"The API server did not answer within {timeout:.0f} s; "
                    f"see {demo.log_dir / 'api.log'}")


async def create_demo_org(demo: Demo) -> tuple[int, str]:
    from sandboxes.forcemanager import PRIVATE_KEY, PUBLIC_KEY
    from sandboxes.forcemanager.api import BASE_PATH
    from server.db import close_db, init_db
    from server.organizations.service import create_organization

    await init_db(f"sqlite://{demo.database_path}")
    try:
        org, token = await create_organization(
            "Demo Field Sales", "business",
            forcemanager_public_key=PUBLIC_KEY, forcemanager_private_key=PRIVATE_KEY,
            forcemanager_base_url=demo.forcemanager_url + BASE_PATH,
        )
    finally:
        await close_db()
    return org.id, token


def configure(api: Api) -> None:
    from sandboxes.salesforce import PASSWORD, SECURITY_TOKEN, USERNAME

    api(f"""mutation {{ enableSalesforceIntegration(acknowledgeDataReplacement: true) {{
          __typename {ERROR} }} }}""", "enableSalesforceIntegration")
    api(f"""mutation Connect($u: String!, $p: String!, $t: String!) {{
          connectSalesforceWithPassword(username: $u, password: $p, securityToken: $t) {{
          __typename {ERROR} }} }}""", "connectSalesforceWithPassword",
        u=USERNAME, p=PASSWORD, t=SECURITY_TOKEN)
    api(f"""mutation Entities($e: [SyncEntityInput!]!) {{ configureSyncEntities(entities: $e) {{
          __typename {ERROR} }} }}""", "configureSyncEntities",
        e=[{"entity": e, "enabled": True, "direction": "BIDIRECTIONAL"} for e in ENTITIES])
    matched = api(f"""mutation {{ autoMatchUsers {{ __typename
          ... on AutoMatchResult {{ matched {{ forcemanagerUser {{ id name }} }}
                                   matching {{ forcemanagerUsers {{ id name }} }} }}
          {ERROR} }} }}""", "autoMatchUsers")
    users = matched["matching"]["forcemanagerUsers"]
    if not users:
        raise DemoError("The ForceManager sandbox has no users to own unmatched records.")
    print(f"  users matched automatically: {len(matched['matched'])} of {len(users)}")
    api(f"""mutation Fallback($id: ID!) {{ setFallbackOwner(forcemanagerUserId: $id) {{
          __typename {ERROR} }} }}""", "setFallbackOwner", id=users[0]["id"])
    api(f"""mutation {{ startInitialSync {{ __typename {ERROR} }} }}""", "startInitialSync")


def wait_for_initial_sync(demo: Demo, api: Api) -> None:
    deadline = time.monotonic() + INITIAL_SYNC_TIMEOUT
    while time.monotonic() < deadline:
        check_children(demo)
        state = api("""{ salesforceIntegration { state errorReason
                         lastRun { status created failed } } }""", "salesforceIntegration")
        if state["state"] == "ACTIVE":
            run = state["lastRun"] or {}
            print(f"  initial sync done: {run.get('created', 0)} records created, "
                  f"{run.get('failed', 0)} failed")
            return
        if state["state"] == "ERROR":
            raise DemoError(f"The initial sync failed: {state['errorReason']}; "
                            f"see {demo.log_dir / 'worker.log'}")
        time.sleep(1)
    raise DemoError(f"The initial sync did not finish within {INITIAL_SYNC_TIMEOUT:.0f} s; "
                    f"see {demo.log_dir / 'worker.log'}")


def people_at_work(demo: Demo) -> None:
    with httpx.Client(verify=str(demo.tls_dir / "ca.pem"), timeout=10) as http:
        http.post(f"{demo.salesforce_url}/_sandbox/activity",
                  json={"interval": demo.activity_seconds}).raise_for_status()
        http.post(f"{demo.forcemanager_url}/_sandbox/activity",
                  json={"interval": demo.activity_seconds,
                        "resources": FORCEMANAGER_RESOURCES}).raise_for_status()


# ---------------------------------------------------------------- main


def banner(demo: Demo, token: str) -> str:
    return f"""
  Monitor page   {demo.api_url}/monitor      (paste the token below)
  GraphiQL       {demo.api_url}/graphql      (header  Authorization: Bearer <token>)
  Admin token    {token}

  Salesforce sandbox     {demo.salesforce_url}/_sandbox  (CA: {demo.tls_dir / 'ca.pem'})
  ForceManager sandbox   {demo.forcemanager_url}/_sandbox
  Logs                   {demo.log_dir}/api.log, worker.log
"""


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(demo: Demo) -> int:
    check_redis(demo.redis_url)
    check_ports(demo)
    env = child_environment(demo)
    os.environ.update({k: env[k] for k in ("DATA_DIR", "DATABASE_URL", "REDIS_URL",
                                           "REDIS_PREFIX")})
    from server.config import get_settings

    get_settings.cache_clear()
    demo.data_dir.mkdir(parents=True, exist_ok=True)
    get_settings()  # creates data/secret.key once, before the children read it
    remove_database(demo)
    asyncio.run(fresh_state(demo))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        print("Starting the API server, a worker and both sandboxes…")
        start_processes(demo, env)
        print(f"  API server pid {demo.children['api'].pid}, worker pid "
              f"{demo.children['worker'].pid}")
        start_sandboxes(demo)
        wait_for_api(demo)
        org_id, token = asyncio.run(create_demo_org(demo))
        print(f"Demo org {org_id} (business plan): connecting Salesforce, choosing "
              f"{', '.join(e.title() for e in ENTITIES)} both ways, matching users…")
        api = Api(demo, token)
        configure(api)
        print(banner(demo, token))
        print("Initial sync running (watch it on the monitor page)…")
        wait_for_initial_sync(demo, api)
        people_at_work(demo)
        print(f"People at work: both CRMs change every ~{demo.activity_seconds:g} s; the "
              "worker syncs every minute. Press Ctrl-C to stop.", flush=True)
        while True:
            check_children(demo)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        stop(demo)
        print("Stopped.", flush=True)


def main() -> int:
    try:
        return run(from_environment())
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before anything was started
        return 130


if __name__ == "__main__":
    sys.exit(main())
