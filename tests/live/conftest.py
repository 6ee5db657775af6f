"""A real uvicorn server running the app on a loopback port, with two orgs and their tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from sandboxes.server import BackgroundServer
from server.live import LiveHub

ALLOWED_ORIGIN = "http://monitor.allowed.example"


@dataclass
class LiveServer:
    url: str
    org_a: int
    token_a: str
    viewer_a: str
    org_b: int
    token_b: str
    hub: LiveHub

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/graphql"


async def prepare_orgs(database_url: str) -> tuple[int, str, str, int, str]:
    from server.auth import create_token
    from server.db import close_db, init_db
    from server.models import Role
    from server.organizations.service import create_organization

    await init_db(database_url, create_schema=True)
    try:
        org_a, token_a = await create_organization("Acme", "business")
        _, viewer_a = await create_token(org_a.id, "viewer", Role.VIEWER)
        org_b, token_b = await create_organization("Globex", "business")
    finally:
        await close_db()
    return org_a.id, token_a, viewer_a, org_b.id, token_b


@pytest.fixture
async def live_server(
    redis: Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LiveServer]:
    from server.config import get_settings

    database_url = f"sqlite://{tmp_path / 'live.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("ALLOWED_ORIGINS", ALLOWED_ORIGIN)
    get_settings.cache_clear()
    org_a, token_a, viewer_a, org_b, token_b = await prepare_orgs(database_url)

    from server.app import create_app

    app = create_app()
    with BackgroundServer(app) as server:
        yield LiveServer(server.url, org_a, token_a, viewer_a, org_b, token_b,
                         app.state.live_hub)
