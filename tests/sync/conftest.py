"""An org wired to both sandboxes, set up directly through the models (no GraphQL), and
helpers to run the engine and look at both sides."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from server.clients.forcemanager import ForceManagerClient
from server.clients.salesforce import login_password
from server.config import get_settings
from server.crypto import encrypt
from server.entities import Direction, Entity
from server.integration.clients import oauth_app
from server.models import (
    EntitySetting,
    Integration,
    IntegrationState,
    MatchMethod,
    Organization,
    RecordLink,
    SyncLogEntry,
    SyncRun,
    UserMatch,
)
from workers.sync.run import sync_org


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


@dataclass
class World:
    org_id: int
    sf: Any  # RunningSalesforce
    fm: Any  # RunningForceManager
    redis: Redis
    fm_client: ForceManagerClient
    fallback_user: int
    matches: dict[str, int]  # Salesforce user id → ForceManager user id

    async def sync(self, trigger: str = "TEST") -> SyncRun:
        status = await sync_org(self.redis, self.org_id, trigger)
        run = await SyncRun.filter(organization_id=self.org_id).order_by("-id").first()
        assert run is not None and run.status.value == status, (status, run)
        return run

    async def sync_skipped(self) -> bool:
        """True when a sync request starts no run (the integration is not runnable)."""
        before = await SyncRun.filter(organization_id=self.org_id).count()
        status = await sync_org(self.redis, self.org_id, "TEST")
        return status == "SKIPPED" and (
            await SyncRun.filter(organization_id=self.org_id).count() == before
        )

    async def fm_records(self, resource: str) -> list[dict[str, Any]]:
        return [r async for page in self.fm_client.list(resource) for r in page]

    def sf_records(self, sobject: str) -> list[dict[str, Any]]:
        """Every row of the Salesforce sandbox, deleted ones included (IsDeleted)."""
        return sandbox_rows(self.sf, sobject)

    async def link(self, entity: Entity, salesforce_id: str) -> RecordLink:
        return await RecordLink.get(
            organization_id=self.org_id, entity=entity.value, salesforce_id=salesforce_id
        )

    async def log(self, run: SyncRun) -> list[SyncLogEntry]:
        return await SyncLogEntry.filter(run_id=run.id).order_by("id")


def sandbox_rows(sf: Any, sobject: str) -> list[dict[str, Any]]:
    table = sf.store.table(sobject)
    return [table.as_dict(row) for row in list(table.rows.values())]


async def connect_org(
    sf: Any,
    fm: Any,
    redis: Redis,
    entities: dict[Entity, Direction],
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    monkeypatch.setenv("SALESFORCE_LOGIN_URL", sf.url)
    monkeypatch.setenv("SALESFORCE_CA_BUNDLE", str(sf.ca_cert))
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", sf.client_id)
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", sf.client_secret)
    monkeypatch.setenv("FORCEMANAGER_RATE_LIMIT", "1000")
    get_settings.cache_clear()
    org = await Organization.create(
        name="Acme",
        plan="business",
        forcemanager_public_key_enc=encrypt(fm.public_key),
        forcemanager_private_key_enc=encrypt(fm.private_key),
        forcemanager_base_url=fm.url,
    )
    session = await login_password(oauth_app(), sf.username, sf.password, sf.security_token)
    fm_client = ForceManagerClient(fm.url, fm.public_key, fm.private_key, rate_limit=None)
    fm_users = [u for u in await fm_client.users() if u.get("isActive", True)]
    by_name = {_plain(f"{u['name']} {u.get('lastName') or ''}"): int(u["id"]) for u in fm_users}
    sf_users = [u for u in sandbox_rows(sf, "User") if u.get("IsActive")]
    matches = {
        u["Id"]: by_name[_plain(u["Name"])] for u in sf_users if _plain(u["Name"]) in by_name
    }
    assert matches and len(matches) < len(sf_users), "the sandboxes' teams should half overlap"
    fallback = min(by_name.values())
    await Integration.create(
        organization=org,
        state=IntegrationState.INITIAL_SYNC,
        salesforce_auth_method="PASSWORD",
        salesforce_instance_url=session.instance_url,
        salesforce_username=sf.username,
        salesforce_user_id=session.user_id,  # as the connection flow stores it
        salesforce_access_token_enc=encrypt(session.access_token),
        salesforce_password_enc=encrypt(sf.password),
        salesforce_security_token_enc=encrypt(sf.security_token),
        fallback_forcemanager_user_id=fallback,
        interval_minutes=15,
    )
    for entity, direction in entities.items():
        await EntitySetting.create(
            organization=org, entity=entity.value, enabled=True, direction=direction
        )
    await UserMatch.bulk_create(
        [
            UserMatch(organization=org, salesforce_user_id=sf_id, forcemanager_user_id=fm_id,
                      method=MatchMethod.AUTOMATIC)
            for sf_id, fm_id in matches.items()
        ]
    )
    return World(org.id, sf, fm, redis, fm_client, fallback, matches)


BOTH = Direction.BIDIRECTIONAL
ONE_WAY = Direction.SALESFORCE_TO_FORCEMANAGER


@pytest.fixture
async def world(
    db: str,
    redis: Redis,
    make_salesforce_sandbox: Any,
    forcemanager_sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:
    """Accounts, contacts and opportunities both ways; small data on both sides."""
    sf = make_salesforce_sandbox(accounts=6, tasks=0, events=0, products=0)
    made = await connect_org(
        sf, forcemanager_sandbox, redis,
        {Entity.ACCOUNT: BOTH, Entity.CONTACT: BOTH, Entity.OPPORTUNITY: BOTH},
        monkeypatch,
    )
    yield made
    await made.fm_client.aclose()
