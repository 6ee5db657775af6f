"""A uvicorn server with an org whose integration has synced a few records already."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from sandboxes.server import BackgroundServer
from server.live import LiveHub

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class MonitorServer:
    url: str
    org_id: int
    token: str
    hub: LiveHub
    last_entry_id: int


async def seed(database_url: str) -> tuple[int, str, int]:
    """An ACTIVE integration with Accounts (both ways) and Contacts, a finished initial run
    and its log, written the way the engine writes it (server.synclog)."""
    from server.db import close_db, init_db
    from server.entities import Direction, Flow
    from server.models import (
        EntitySetting,
        Integration,
        IntegrationState,
        RunKind,
        RunStatus,
        SyncRun,
    )
    from server.models import SyncAction as A
    from server.models import SyncStatus as S
    from server.organizations.service import create_organization
    from server.synclog.service import LogRecord, write

    await init_db(database_url, create_schema=True)
    try:
        org, token = await create_organization("Acme Field Sales", "business")
        now = datetime.now(UTC)
        await Integration.update_or_create(
            organization_id=org.id,
            defaults={
                "state": IntegrationState.ACTIVE,
                "acknowledged_at": now - timedelta(hours=2),
                "acknowledged_by": "admin",
                "salesforce_auth_method": "PASSWORD",
                "salesforce_instance_url": "https://acme.my.salesforce.com",
                "salesforce_username": "admin@acme.example.com",
                "salesforce_access_token_enc": "encrypted",
                "salesforce_connected_at": now - timedelta(hours=2),
                "next_run_at": now + timedelta(minutes=12),
            },
        )
        for entity, direction in (("ACCOUNT", Direction.BIDIRECTIONAL),
                                  ("CONTACT", Direction.BIDIRECTIONAL)):
            await EntitySetting.create(organization_id=org.id, entity=entity, enabled=True,
                                       direction=direction)
        run = await SyncRun.create(organization_id=org.id, kind=RunKind.INITIAL,
                                   status=RunStatus.SUCCESS, finished_at=now)
        to_fm, to_sf = Flow.SALESFORCE_TO_FORCEMANAGER, Flow.FORCEMANAGER_TO_SALESFORCE
        names = ["Iberia Logistics", "Nordic Foods", "Casa Verde", "Atlas Motors",
                 "Blue Harbor", "Solaris Energy", "Pine & Co", "Vega Retail"]
        records = [
            LogRecord("ACCOUNT", A.CREATED, to_fm, S.SUCCESS, f"001A0000000{i:04d}", 100 + i,
                      name, at=now - timedelta(minutes=40 - i))
            for i, name in enumerate(names)
        ]
        records += [
            LogRecord("CONTACT", A.CREATED, to_fm, S.SUCCESS, "003A00000000001", 501,
                      "Lucía Fernández", at=now - timedelta(minutes=20)),
            LogRecord("CONTACT", A.UPDATED, to_sf, S.SUCCESS, "003A00000000002", 502,
                      "Marco Rossi", owner_fallback=True, at=now - timedelta(minutes=15)),
            LogRecord("ACCOUNT", A.UPDATED, to_sf, S.ERROR, "001A00000000042", 142,
                      "Duplicate Holdings", error_code="DUPLICATE_VALUE",
                      error_message="duplicate value found: Name", at=now - timedelta(minutes=10)),
            LogRecord("ACCOUNT", A.DELETED, to_fm, S.SUCCESS, "001A00000000043", 143,
                      "Old Account", at=now - timedelta(minutes=5)),
        ]
        ids = await write(None, org.id, run.id, records)
    finally:
        await close_db()
    return org.id, token, max(ids)


@pytest.fixture
async def monitor_server(
    redis: Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MonitorServer]:
    from server.config import get_settings

    database_url = f"sqlite://{tmp_path / 'monitor.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    org_id, token, last_id = await seed(database_url)

    from server.app import create_app

    app = create_app()
    with BackgroundServer(app) as server:
        yield MonitorServer(server.url, org_id, token, app.state.live_hub, last_id)
