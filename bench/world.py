"""Both sandboxes on loopback (seeded in this process, so big data costs no API calls) and
an org connected to them through the models, as the settings flow leaves it."""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandboxes import forcemanager as fm_sandbox
from sandboxes import salesforce as sf_sandbox
from sandboxes.server import BackgroundServer
from sandboxes.tls import make_tls_files
from server.entities import Direction, Entity

ACCOUNTS_AND_CONTACTS = {Entity.ACCOUNT: Direction.BIDIRECTIONAL,
                         Entity.CONTACT: Direction.BIDIRECTIONAL}
# What an org starts with in ForceManager before the initial replacement: small, so the
# backup and removal do not dominate the load figures.
FM_START = {"accounts": 20, "contacts": 40, "opportunities": 0, "activities": 0,
            "products": 0, "salesorders": 0}


@dataclass
class Sandboxes:
    sf: sf_sandbox.SalesforceSandbox
    fm: fm_sandbox.ForceManagerSandbox
    sf_url: str
    fm_url: str  # …/api/v4
    ca_cert: Path

    def sf_calls(self) -> int:
        """REST API calls Salesforce counted against the org's allowance."""
        return int(self.sf.state.counters["api"])

    def sf_counters(self) -> dict[str, int]:
        return dict(self.sf.state.counters)

    def fm_counters(self) -> dict[str, Any]:
        return self.fm.counters.snapshot()

    def fm_calls(self) -> int:
        return int(self.fm_counters()["total"])

    def reset_counters(self) -> None:
        self.sf.state.counters.clear()
        self.fm.counters.reset()

    def settings(self) -> dict[str, str]:
        """Environment for the API server and workers that talk to these sandboxes."""
        return {
            "SALESFORCE_LOGIN_URL": self.sf_url,
            "SALESFORCE_CA_BUNDLE": str(self.ca_cert),
            "SALESFORCE_CLIENT_ID": sf_sandbox.CLIENT_ID,
            "SALESFORCE_CLIENT_SECRET": sf_sandbox.CLIENT_SECRET,
        }


@contextmanager
def sandboxes(accounts: int, *, fm_rate_limit: float | None = None,
              fm_start: dict[str, int] | None = None, **sf_sizes: int | None
              ) -> Iterator[Sandboxes]:
    """Salesforce seeded with `accounts` Accounts and twice as many Contacts (other objects
    none unless sf_sizes says; None = the sandbox's per-account default)."""
    sizes: dict[str, int | None] = {"contacts": 2 * accounts, "opportunities": 0, "tasks": 0,
                                    "events": 0, "products": 0}
    sf = sf_sandbox.create_sandbox(accounts=accounts, api_limit=10_000_000,
                                   **(sizes | sf_sizes))
    fm = fm_sandbox.create_sandbox(rate_limit=fm_rate_limit, **(fm_start or FM_START))
    with tempfile.TemporaryDirectory(prefix="fmsf-bench-tls-") as tmp:
        tls = make_tls_files(Path(tmp))
        with BackgroundServer(sf.app, tls=tls) as sf_server, BackgroundServer(fm.app) as fm_server:
            yield Sandboxes(sf, fm, sf_server.url, f"{fm_server.url}/api/v4", tls.ca_cert)


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


async def connect_org(boxes: Sandboxes, name: str = "Bench",
                      entities: dict[Entity, Direction] | None = None) -> int:
    """An org in INITIAL_SYNC with a password-flow Salesforce connection, the entities
    enabled, and users matched by name (the rest go to the fallback user). Returns its id."""
    from server.clients.forcemanager import ForceManagerClient
    from server.clients.salesforce import login_password
    from server.crypto import encrypt
    from server.integration.clients import oauth_app
    from server.models import (
        EntitySetting,
        Integration,
        IntegrationState,
        MatchMethod,
        Organization,
        UserMatch,
    )

    org = await Organization.create(
        name=name, plan="business",
        forcemanager_public_key_enc=encrypt(fm_sandbox.PUBLIC_KEY),
        forcemanager_private_key_enc=encrypt(fm_sandbox.PRIVATE_KEY),
        forcemanager_base_url=boxes.fm_url,
    )
    session = await login_password(oauth_app(), sf_sandbox.USERNAME, sf_sandbox.PASSWORD,
                                   sf_sandbox.SECURITY_TOKEN)
    fm = ForceManagerClient(boxes.fm_url, fm_sandbox.PUBLIC_KEY, fm_sandbox.PRIVATE_KEY,
                            rate_limit=None)
    try:
        fm_users = [u for u in await fm.users() if u.get("isActive", True)]
    finally:
        await fm.aclose()
    by_name = {_plain(f"{u['name']} {u.get('lastName') or ''}"): int(u["id"]) for u in fm_users}
    users = boxes.sf.store.table("User")
    sf_users = [users.as_dict(r) for r in list(users.rows.values())]
    matches = {u["Id"]: by_name[_plain(u["Name"])] for u in sf_users
               if u.get("IsActive") and _plain(u["Name"]) in by_name}
    await Integration.create(
        organization=org,
        state=IntegrationState.INITIAL_SYNC,
        salesforce_auth_method="PASSWORD",
        salesforce_instance_url=session.instance_url,
        salesforce_username=sf_sandbox.USERNAME,
        salesforce_access_token_enc=encrypt(session.access_token),
        salesforce_password_enc=encrypt(sf_sandbox.PASSWORD),
        salesforce_security_token_enc=encrypt(sf_sandbox.SECURITY_TOKEN),
        fallback_forcemanager_user_id=min(by_name.values()),
        interval_minutes=15,
    )
    for entity, direction in (entities or ACCOUNTS_AND_CONTACTS).items():
        await EntitySetting.create(organization=org, entity=entity.value, enabled=True,
                                   direction=direction)
    await UserMatch.bulk_create([
        UserMatch(organization=org, salesforce_user_id=sf_id, forcemanager_user_id=fm_id,
                  method=MatchMethod.AUTOMATIC)
        for sf_id, fm_id in matches.items()
    ])
    return org.id
