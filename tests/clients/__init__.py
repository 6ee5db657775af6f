"""Helpers shared by the API client tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from server.clients.salesforce import (
    OAuthApp,
    SalesforceClient,
    SalesforceSession,
    authorize_url,
    exchange_code,
    login_password,
)

REDIRECT_URI = "https://integrations.example.com/salesforce/callback"


def salesforce_app(sandbox: Any) -> OAuthApp:
    return OAuthApp(sandbox.url, sandbox.client_id, sandbox.client_secret, str(sandbox.ca_cert))


async def salesforce_password_session(sandbox: Any) -> SalesforceSession:
    return await login_password(
        salesforce_app(sandbox),
        sandbox.username,
        sandbox.password,
        sandbox.security_token,
        api_version=sandbox.api_version,
    )


def salesforce_authorize(sandbox: Any, state: str) -> dict[str, list[str]]:
    """Play the admin's browser: open the authorize URL, read where Salesforce sends it back."""
    url = authorize_url(salesforce_app(sandbox), REDIRECT_URI, state)
    with sandbox.http() as http:
        answer = http.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)


async def salesforce_oauth_session(sandbox: Any) -> SalesforceSession:
    answer = salesforce_authorize(sandbox, "state-1")
    return await exchange_code(salesforce_app(sandbox), answer["code"][0], REDIRECT_URI)


def salesforce_client(sandbox: Any, session: SalesforceSession, **options: Any) -> SalesforceClient:
    options.setdefault("backoff_base", 0.01)
    options.setdefault("bulk_poll_interval", 0.05)
    return SalesforceClient(
        session, salesforce_app(sandbox), api_version=sandbox.api_version, **options
    )


def grew(before: dict[str, int], after: dict[str, int], counter: str) -> int:
    """How much a sandbox counter grew between two readings."""
    return after.get(counter, 0) - before.get(counter, 0)
