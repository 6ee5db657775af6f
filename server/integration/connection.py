"""Connecting Salesforce: the OAuth web-server flow for the settings page, and username +
password + security token for scripts. Tokens and passwords are stored encrypted."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from server.config import get_settings
from server.crypto import encrypt, hash_token
from server.integration.clients import oauth_app
from server.integration.errors import InvalidInput, InvalidOAuthState
from server.integration.external import calling
from server.integration.schedule import OAUTH_STATE_LIFETIME, utcnow
from server.integration.state import (
    S,
    get_integration,
    initial_load_done,
    require_state,
    transition,
)
from server.models import Integration, OAuthState

if TYPE_CHECKING:
    from server.clients.salesforce import SalesforceSession

# Connecting (or reconnecting with new credentials) is possible once enabled, except while
# the initial load runs on the current connection.
CONNECTABLE = (S.ENABLED, S.CONNECTED, S.ACTIVE, S.PAUSED, S.ERROR)


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    state: str
    expires_at: datetime


async def authorization_url(org_id: int, redirect_uri: str) -> AuthorizationStart:
    """Start the OAuth flow: a single-use state, kept hashed for 10 minutes."""
    from server.clients.salesforce import authorize_url

    integration = await get_integration(org_id)
    require_state(integration, CONNECTABLE, "connect Salesforce")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(redirect_uri) > 1000:
        raise InvalidInput("redirectUri must be an absolute http(s) URL.")
    state = secrets.token_urlsafe(32)
    expires_at = utcnow() + OAUTH_STATE_LIFETIME
    await OAuthState.create(
        organization_id=org_id,
        state_hash=hash_token(state),
        redirect_uri=redirect_uri,
        expires_at=expires_at,
    )
    return AuthorizationStart(authorize_url(oauth_app(), redirect_uri, state), state, expires_at)


async def complete_authorization(org_id: int, code: str, state: str) -> Integration:
    """Finish the OAuth flow: check the state (this org's, unexpired, unused), exchange the
    code for tokens and store them."""
    from server.clients.salesforce import exchange_code

    integration = await get_integration(org_id)
    pending = await OAuthState.get_or_none(
        state_hash=hash_token(state), organization_id=org_id, used_at=None
    )
    if pending is None or pending.expires_at <= utcnow():
        raise InvalidOAuthState()
    require_state(integration, CONNECTABLE, "connect Salesforce")
    # Burn the state before the exchange, atomically: a replayed callback finds it used.
    if not await OAuthState.filter(id=pending.id, used_at=None).update(used_at=utcnow()):
        raise InvalidOAuthState()
    async with calling("Salesforce"):
        session = await exchange_code(oauth_app(), code, pending.redirect_uri)
    return await _store_connection(org_id, session, method="OAUTH")


async def connect_with_password(
    org_id: int, username: str, password: str, security_token: str, domain: str | None
) -> Integration:
    from server.clients.salesforce import login_password

    integration = await get_integration(org_id)
    require_state(integration, CONNECTABLE, "connect Salesforce")
    if not username.strip() or not password:
        raise InvalidInput("username and password are required.")
    async with calling("Salesforce"):
        session = await login_password(
            oauth_app(),
            username.strip(),
            password,
            security_token,
            domain or None,
            api_version=get_settings().salesforce_api_version,
        )
    return await _store_connection(
        org_id,
        session,
        method="PASSWORD",
        username=username.strip(),
        password=password,
        security_token=security_token,
        domain=domain or None,
    )


async def _store_connection(
    org_id: int,
    session: SalesforceSession,
    *,
    method: str,
    username: str | None = None,
    password: str | None = None,
    security_token: str | None = None,
    domain: str | None = None,
) -> Integration:
    fields = {
        "salesforce_auth_method": method,
        "salesforce_instance_url": session.instance_url,
        "salesforce_username": session.username or username,
        "salesforce_org_id": session.org_id,
        "salesforce_user_id": session.user_id,
        "salesforce_access_token_enc": encrypt(session.access_token),
        "salesforce_refresh_token_enc": encrypt(session.refresh_token),
        "salesforce_password_enc": encrypt(password),
        "salesforce_security_token_enc": encrypt(security_token),
        "salesforce_domain": domain,
        "salesforce_connected_at": utcnow(),
    }
    async with in_transaction():
        integration = await get_integration(org_id)
        switching = (
            integration.salesforce_org_id
            and session.org_id
            and session.org_id != integration.salesforce_org_id
        )
        if switching and await initial_load_done(org_id):
            # Record links and cursors belong to the synced org: another one needs a fresh
            # start (disable, enable, connect, initial sync).
            raise InvalidInput(
                f"These credentials are for Salesforce org {session.org_id}, but this "
                f"integration syncs org {integration.salesforce_org_id}; disable and enable "
                "the integration to switch orgs."
            )
        if integration.state in (S.ENABLED, S.CONNECTED):
            return await transition(
                org_id, [S.ENABLED, S.CONNECTED], S.CONNECTED, "connect Salesforce", **fields
            )
        if integration.state == S.ERROR:
            # New credentials are the usual fix for an ERROR: go back to where the org was.
            target = S.PAUSED if await initial_load_done(org_id) else S.CONNECTED
            return await transition(
                org_id, [S.ERROR], target, "connect Salesforce", error_reason=None, **fields
            )
        return await transition(
            org_id, [S.ACTIVE, S.PAUSED], integration.state, "connect Salesforce", **fields
        )
