"""Provision organizations. Used by the CLI; the GraphQL API never creates tenants."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from server.auth.tokens import create_token
from server.config import get_settings
from server.crypto import encrypt
from server.integration.errors import InvalidInput
from server.integration.external import calling
from server.models import Organization, Role


async def create_organization(
    name: str,
    plan: str,
    *,
    forcemanager_public_key: str | None = None,
    forcemanager_private_key: str | None = None,
    forcemanager_base_url: str | None = None,
) -> tuple[Organization, str]:
    """A new org and its first ADMIN token (plain, shown once)."""
    name, plan = name.strip(), plan.strip().lower()
    if not name:
        raise InvalidInput("An organization needs a name.")
    if not plan:
        raise InvalidInput("An organization needs a plan.")
    if bool(forcemanager_public_key) != bool(forcemanager_private_key):
        raise InvalidInput("Give both ForceManager keys (public and private) or neither.")
    async with in_transaction():
        org = await Organization.create(
            name=name,
            plan=plan,
            forcemanager_public_key_enc=encrypt(forcemanager_public_key or None),
            forcemanager_private_key_enc=encrypt(forcemanager_private_key or None),
            forcemanager_base_url=forcemanager_base_url or None,
        )
        _, token = await create_token(org.id, "first admin token", Role.ADMIN)
    return org, token


async def set_forcemanager_keys(org_id: int, public_key: str, private_key: str) -> Organization:
    """Store new ForceManager API keys once ForceManager accepts them (a login)."""
    from server.clients.forcemanager import ForceManagerClient

    public_key, private_key = public_key.strip(), private_key.strip()
    if not public_key or not private_key:
        raise InvalidInput("Both ForceManager keys are required.")
    org = await Organization.get(id=org_id)
    settings = get_settings()
    client = ForceManagerClient(
        org.forcemanager_base_url or settings.forcemanager_base_url,
        public_key,
        private_key,
        rate_limit=settings.forcemanager_rate_limit,
        max_retries=1,
    )
    try:
        async with calling("ForceManager"):
            await client.login()
    finally:
        await client.aclose()
    org.forcemanager_public_key_enc = encrypt(public_key)
    org.forcemanager_private_key_enc = encrypt(private_key)
    await org.save(update_fields=["forcemanager_public_key_enc", "forcemanager_private_key_enc"])
    return org
