"""The provisioning command line, run as a user runs it: python -m server …"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from server.auth import authenticate
from server.crypto import decrypt
from server.db import close_db, init_db
from server.models import Organization, Role


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    from server.config import get_settings

    env = {
        "DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}",
        "SECRET_KEY": Fernet.generate_key().decode(),
        "DATA_DIR": str(tmp_path),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield {**os.environ, **env}
    get_settings.cache_clear()


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def value(output: str, label: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(label))
    return line.split(": ", 1)[1]


async def test_migrate_create_org_and_tokens(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "migrate").returncode == 0
    done = run(
        cli_env,
        "create-org",
        "--name",
        "Acme",
        "--plan",
        "business",
        "--forcemanager-public-key",
        "pub-key",
        "--forcemanager-private-key",
        "priv-key",
    )
    assert done.returncode == 0, done.stderr
    org_id = int(value(done.stdout, "organization id"))
    admin_token = value(done.stdout, "admin token")
    viewer = run(cli_env, "create-token", "--org", str(org_id), "--name", "ro", "--role", "VIEWER")
    assert viewer.returncode == 0, viewer.stderr
    viewer_token = value(viewer.stdout, "VIEWER token")

    await init_db(cli_env["DATABASE_URL"])
    try:
        admin = await authenticate(admin_token)
        assert admin is not None and admin.org_id == org_id and admin.role == Role.ADMIN
        ro = await authenticate(viewer_token)
        assert ro is not None and ro.role == Role.VIEWER
        org = await Organization.get(id=org_id)
        assert org.plan == "business"
        assert "priv-key" not in org.forcemanager_private_key_enc
        assert decrypt(org.forcemanager_private_key_enc) == "priv-key"
    finally:
        await close_db()


def test_bad_input_is_a_clear_error(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "migrate").returncode == 0
    half = run(
        cli_env,
        "create-org",
        "--name",
        "Acme",
        "--plan",
        "business",
        "--forcemanager-public-key",
        "only-one",
    )
    assert half.returncode == 1 and "both ForceManager keys" in half.stderr
    assert "Traceback" not in half.stderr
    missing = run(cli_env, "create-token", "--org", "42", "--name", "x")
    assert missing.returncode == 1 and "organization 42 does not exist" in missing.stderr
    usage = run(cli_env, "create-org", "--name", "Acme")
    assert usage.returncode == 2 and "--plan" in usage.stderr
