"""Connecting to Salesforce the three ways, and renewing expired sessions (against the sandbox)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from server.clients.errors import AuthError
from server.clients.salesforce import (
    SalesforceSession,
    authorize_url,
    exchange_code,
    login_password,
)
from tests.clients import (
    REDIRECT_URI,
    grew,
    salesforce_app,
    salesforce_authorize,
    salesforce_client,
    salesforce_oauth_session,
    salesforce_password_session,
)


def test_authorize_url_carries_the_state_and_asks_for_a_refresh_token(salesforce_sandbox) -> None:
    url = authorize_url(salesforce_app(salesforce_sandbox), REDIRECT_URI, "st-42")
    assert url.startswith(f"{salesforce_sandbox.url}/services/oauth2/authorize?")
    params = parse_qs(urlsplit(url).query)
    assert params["state"] == ["st-42"]
    assert params["client_id"] == [salesforce_sandbox.client_id]
    assert params["redirect_uri"] == [REDIRECT_URI]
    assert params["response_type"] == ["code"]
    assert "refresh_token" in params["scope"][0].split()
    with pytest.raises(ValueError, match="state"):
        authorize_url(salesforce_app(salesforce_sandbox), REDIRECT_URI, "")


async def test_oauth_web_server_flow(salesforce_sandbox) -> None:
    answer = salesforce_authorize(salesforce_sandbox, "st-7")
    assert answer["state"] == ["st-7"]  # Salesforce hands the state back for the caller to check
    code = answer["code"][0]

    session = await exchange_code(salesforce_app(salesforce_sandbox), code, REDIRECT_URI)

    assert session.refresh_token
    assert session.instance_url == salesforce_sandbox.url
    assert session.user_id == salesforce_sandbox.store.admin_user_id
    assert session.org_id and session.org_id.startswith("00D")
    async with salesforce_client(salesforce_sandbox, session) as client:
        names = {s.name for s in await client.describe_global()}
    assert {"Account", "Contact", "Opportunity"} <= names

    # A code is good for one exchange.
    with pytest.raises(AuthError) as refused:
        await exchange_code(salesforce_app(salesforce_sandbox), code, REDIRECT_URI)
    assert refused.value.code == "invalid_grant"
    assert "reconnect Salesforce" in refused.value.message


async def test_password_login(salesforce_sandbox) -> None:
    session = await salesforce_password_session(salesforce_sandbox)
    assert session.username == salesforce_sandbox.username
    assert session.user_id == salesforce_sandbox.store.admin_user_id
    assert session.refresh_token is None
    async with salesforce_client(salesforce_sandbox, session) as client:
        assert (await client.describe("Account")).name == "Account"


async def test_password_login_refused_says_what_to_check(salesforce_sandbox) -> None:
    with pytest.raises(AuthError) as refused:
        await login_password(
            salesforce_app(salesforce_sandbox),
            salesforce_sandbox.username,
            "wrong-password",
            salesforce_sandbox.security_token,
            api_version=salesforce_sandbox.api_version,
        )
    assert refused.value.code == "INVALID_LOGIN"
    assert "security token" in refused.value.message
    assert "wrong-password" not in str(refused.value)


async def test_existing_session(salesforce_sandbox) -> None:
    session = SalesforceSession(salesforce_sandbox.url, salesforce_sandbox.password_token())
    async with salesforce_client(salesforce_sandbox, session) as client:
        users = await client.active_users()
    assert users and all(u["IsActive"] for u in users)


async def test_expired_oauth_session_is_refreshed_once_and_the_call_retried(
    salesforce_sandbox,
) -> None:
    session = await salesforce_oauth_session(salesforce_sandbox)
    stored: list[SalesforceSession] = []

    async def store(new: SalesforceSession) -> None:
        stored.append(new)

    async with salesforce_client(salesforce_sandbox, session, on_session_refreshed=store) as client:
        await client.describe("Account")
        salesforce_sandbox.admin.expire_sessions()
        before = salesforce_sandbox.counters()

        described = await client.describe("Contact")

        after = salesforce_sandbox.counters()
    assert described.name == "Contact"
    assert grew(before, after, "token") == 1  # one refresh
    assert grew(before, after, "invalid_session") == 1  # one refused attempt
    assert len(stored) == 1
    assert stored[0].access_token != session.access_token
    assert stored[0].refresh_token == session.refresh_token
    assert stored[0].user_id == session.user_id
    assert client.session is stored[0]


async def test_concurrent_calls_on_an_expired_session_refresh_it_once(salesforce_sandbox) -> None:
    session = await salesforce_oauth_session(salesforce_sandbox)
    stored: list[SalesforceSession] = []

    async def store(new: SalesforceSession) -> None:
        stored.append(new)

    salesforce_sandbox.admin.expire_sessions()
    before = salesforce_sandbox.counters().get("token", 0)
    async with salesforce_client(salesforce_sandbox, session, on_session_refreshed=store) as client:
        results = await asyncio.gather(*(client.describe("Account") for _ in range(4)))
    assert all(r.name == "Account" for r in results)
    assert salesforce_sandbox.counters().get("token", 0) - before == 1
    assert len(stored) == 1


async def test_refused_refresh_token_is_an_auth_error_a_person_can_act_on(
    salesforce_sandbox,
) -> None:
    session = await salesforce_oauth_session(salesforce_sandbox)
    with salesforce_sandbox.http() as http:
        http.post("/services/oauth2/revoke", data={"token": session.refresh_token})

    async with salesforce_client(salesforce_sandbox, session) as client:
        with pytest.raises(AuthError) as refused:
            await client.describe("Account")
    assert refused.value.code == "invalid_grant"
    assert refused.value.message == (
        "Salesforce refused the refresh token (invalid_grant: expired access/refresh token); "
        "reconnect Salesforce"
    )


async def test_password_connection_logs_in_again(salesforce_sandbox) -> None:
    session = await salesforce_password_session(salesforce_sandbox)
    stored: list[SalesforceSession] = []

    async def store(new: SalesforceSession) -> None:
        stored.append(new)

    credentials = (
        salesforce_sandbox.username,
        salesforce_sandbox.password,
        salesforce_sandbox.security_token,
    )
    async with salesforce_client(
        salesforce_sandbox, session, password_login=credentials, on_session_refreshed=store
    ) as client:
        salesforce_sandbox.admin.expire_sessions()
        before = salesforce_sandbox.counters().get("login", 0)
        assert await client.count("Account") == 30
    assert salesforce_sandbox.counters().get("login", 0) - before == 1
    assert [s.username for s in stored] == [salesforce_sandbox.username]


async def test_bare_session_cannot_be_renewed(salesforce_sandbox) -> None:
    session = SalesforceSession(salesforce_sandbox.url, salesforce_sandbox.password_token())
    salesforce_sandbox.admin.expire_sessions()
    async with salesforce_client(salesforce_sandbox, session) as client:
        with pytest.raises(AuthError, match="reconnect Salesforce"):
            await client.describe("Account")


async def test_a_renewed_session_refused_again_does_not_loop(make_salesforce_sandbox) -> None:
    # Sessions that expire at once: the refreshed token is refused as well.
    sandbox = make_salesforce_sandbox(session_seconds=0)
    session = await salesforce_oauth_session(sandbox)
    before = sandbox.counters()
    async with salesforce_client(sandbox, session) as client:
        with pytest.raises(AuthError, match="just renewed"):
            await client.describe("Account")
    after = sandbox.counters()
    assert grew(before, after, "token") == 1
    assert grew(before, after, "invalid_session") == 2


async def test_a_token_endpoint_outage_during_refresh_is_retried(salesforce_sandbox) -> None:
    session = await salesforce_oauth_session(salesforce_sandbox)
    async with salesforce_client(salesforce_sandbox, session) as client:
        salesforce_sandbox.admin.expire_sessions()
        salesforce_sandbox.admin.fail_next(
            count=2, status=503, path_prefix="/services/oauth2/token"
        )
        before = salesforce_sandbox.counters()
        assert (await client.describe("Account")).name == "Account"
        after = salesforce_sandbox.counters()
    assert grew(before, after, "injected_failure") == 2
    assert grew(before, after, "token") == 1  # the third try reached the token endpoint


async def test_a_login_endpoint_outage_is_retried(salesforce_sandbox) -> None:
    salesforce_sandbox.admin.fail_next(count=1, status=500, path_prefix="/services/Soap/u/")
    session = await salesforce_password_session(salesforce_sandbox)
    assert session.access_token
    assert grew({}, salesforce_sandbox.counters(), "injected_failure") == 1


async def test_a_login_domain_overrides_the_login_url(salesforce_sandbox) -> None:
    app = salesforce_app(salesforce_sandbox)
    app.login_url = "https://login.invalid"  # never reached: the domain wins
    session = await login_password(
        app,
        salesforce_sandbox.username,
        salesforce_sandbox.password,
        salesforce_sandbox.security_token,
        domain=salesforce_sandbox.url,
        api_version=salesforce_sandbox.api_version,
    )
    assert session.instance_url == salesforce_sandbox.url
