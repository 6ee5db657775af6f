"""Connecting Salesforce against the Salesforce sandbox: the OAuth web-server flow (authorize
URL → the sandbox's authorize endpoint → code → complete) and the password flow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from server.crypto import decrypt
from server.integration.clients import salesforce_client
from server.integration.schedule import utcnow
from server.models import Integration, OAuthState
from tests.api.conftest import Api, connect_with_password, enable, org_with_keys

REDIRECT = "https://settings.example.com/salesforce/callback"

AUTH_URL = """mutation($r: String!) { salesforceAuthorizationUrl(redirectUri: $r) {
  __typename ... on SalesforceAuthorization { url state expiresAt }
  ... on UserError { code message } } }"""

COMPLETE = """mutation($code: String!, $state: String!) {
  completeSalesforceAuthorization(code: $code, state: $state) {
    __typename
    ... on SalesforceIntegration { state connection { authMethod instanceUrl username
                                                       salesforceOrgId connectedAt } }
    ... on UserError { code message }
    ... on SalesforceAuthFailed { reason } } }"""


async def start(api: Api) -> dict:
    return (await api.data(AUTH_URL, {"r": REDIRECT}))["salesforceAuthorizationUrl"]


def authorize_in_browser(sf: Any, url: str) -> dict[str, str]:
    """What the admin's browser does: open the URL, come back to the redirect with a code."""
    response = httpx.get(url, verify=str(sf.ca_cert), follow_redirects=False)
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def complete(api: Api, code: str, state: str) -> dict:
    answer = await api.data(COMPLETE, {"code": code, "state": state})
    return answer["completeSalesforceAuthorization"]


async def test_oauth_flow_connects(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    started = await start(api)
    assert started["__typename"] == "SalesforceAuthorization"
    assert started["url"].startswith(sf.url + "/services/oauth2/authorize")
    params = parse_qs(urlsplit(started["url"]).query)
    assert params["redirect_uri"] == [REDIRECT] and params["state"] == [started["state"]]
    # Only the hash of the state is stored.
    assert not await OAuthState.filter(state_hash=started["state"]).exists()

    callback = authorize_in_browser(sf, started["url"])
    assert callback["state"] == started["state"]
    done = await complete(api, callback["code"], callback["state"])
    assert done["state"] == "CONNECTED", done
    connection = done["connection"]
    assert connection["authMethod"] == "OAUTH" and connection["instanceUrl"] == sf.url
    assert connection["salesforceOrgId"].startswith("00D") and connection["connectedAt"]

    # The stored session works: the client the engine builds can call Salesforce.
    client = await salesforce_client(api.org_id)
    names = {o.name for o in await client.describe_global()}
    assert {"Account", "Contact"} <= names
    row = await Integration.get(organization_id=api.org_id)
    assert row.salesforce_refresh_token_enc and decrypt(row.salesforce_refresh_token_enc)
    assert decrypt(row.salesforce_access_token_enc) not in row.salesforce_access_token_enc

    # A replayed callback finds the state used.
    again = await complete(api, callback["code"], callback["state"])
    assert again["__typename"] == "InvalidOAuthState" and again["code"] == "INVALID_OAUTH_STATE"


async def test_oauth_state_is_short_lived_and_per_org(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await org_with_keys(http, fm, "A")
    other = await org_with_keys(http, fm, "B")
    for org in (api, other):
        await enable(org)

    started = await start(api)
    callback = authorize_in_browser(sf, started["url"])
    # Another org cannot complete with this org's state, and trying does not burn it.
    stolen = await complete(other, callback["code"], callback["state"])
    assert stolen["__typename"] == "InvalidOAuthState"
    assert (await other.data("{ salesforceIntegration { state } }"))["salesforceIntegration"][
        "state"
    ] == "ENABLED"

    await OAuthState.filter(organization_id=api.org_id).update(
        expires_at=utcnow() - timedelta(seconds=1)
    )
    expired = await complete(api, callback["code"], callback["state"])
    assert expired["__typename"] == "InvalidOAuthState"
    unknown = await complete(api, callback["code"], "made-up-state")
    assert unknown["__typename"] == "InvalidOAuthState"
    assert (await api.data("{ salesforceIntegration { state } }"))["salesforceIntegration"][
        "state"
    ] == "ENABLED"


async def test_oauth_refused_code_says_why(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    started = await start(api)
    refused = await complete(api, "aPrxNotAValidCode", started["state"])
    assert refused["__typename"] == "SalesforceAuthFailed"
    assert refused["code"] == "SALESFORCE_AUTH_FAILED" and "invalid_grant" in refused["reason"]
    assert (await Integration.get(organization_id=api.org_id)).state == "ENABLED"


async def test_authorization_url_checks_input_and_state(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    _, fm = sandboxes
    api = await org_with_keys(http, fm)
    disabled = await start(api)
    assert disabled["__typename"] == "WrongState"
    await enable(api)
    bad = (await api.data(AUTH_URL, {"r": "javascript:alert(1)"}))["salesforceAuthorizationUrl"]
    assert bad["__typename"] == "InvalidInput"
    assert await OAuthState.filter(organization_id=api.org_id).count() == 0


async def test_password_flow(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    assert (await connect_with_password(api, sf))["__typename"] == "WrongState"
    await enable(api)

    refused = await connect_with_password(api, sf, password="wrong-password")
    assert refused["__typename"] == "SalesforceAuthFailed", refused
    assert refused["reason"] and refused["reason"] in refused["message"]
    row = await Integration.get(organization_id=api.org_id)
    assert row.state == "ENABLED" and row.salesforce_access_token_enc is None

    done = await connect_with_password(api, sf)
    assert done["state"] == "CONNECTED"
    assert done["connection"]["authMethod"] == "PASSWORD"
    assert done["connection"]["username"] == sf.username
    assert done["connection"]["instanceUrl"] == sf.url
    row = await Integration.get(organization_id=api.org_id)
    assert decrypt(row.salesforce_password_enc) == sf.password
    assert sf.password not in row.salesforce_password_enc
    client = await salesforce_client(api.org_id)
    assert await client.active_users()


async def test_password_connection_survives_an_expired_session(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    await connect_with_password(api, sf)
    before = (await Integration.get(organization_id=api.org_id)).salesforce_access_token_enc
    sf.admin.expire_sessions()
    client = await salesforce_client(api.org_id)
    assert await client.active_users()
    after = (await Integration.get(organization_id=api.org_id)).salesforce_access_token_enc
    assert decrypt(after) != decrypt(before)  # the new session was stored


async def test_reconnecting_clears_an_error(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    from server.integration.state import mark_error
    from server.models import RunKind, RunStatus, SyncRun

    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    await connect_with_password(api, sf)
    await Integration.filter(organization_id=api.org_id).update(state="ACTIVE")
    await SyncRun.create(organization_id=api.org_id, kind=RunKind.INITIAL, status=RunStatus.SUCCESS)
    await mark_error(api.org_id, "AuthError: INVALID_SESSION_ID; reconnect Salesforce")
    assert (await Integration.get(organization_id=api.org_id)).state == "ERROR"
    # New credentials: back to PAUSED (the initial load was done), the admin resumes.
    again = await connect_with_password(api, sf)
    assert again["state"] == "PAUSED"
    row = await Integration.get(organization_id=api.org_id)
    assert row.error_reason is None
    resumed = await api.data(
        "mutation { resumeSync { ... on SalesforceIntegration { state nextRunAt } } }"
    )
    assert resumed["resumeSync"]["state"] == "ACTIVE" and resumed["resumeSync"]["nextRunAt"]


async def test_reconnecting_to_another_salesforce_org_is_refused(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    from server.models import RunKind, RunStatus, SyncRun

    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    await connect_with_password(api, sf)
    await Integration.filter(organization_id=api.org_id).update(
        state="ACTIVE", salesforce_org_id="00D000000000OTHER"
    )
    await SyncRun.create(organization_id=api.org_id, kind=RunKind.INITIAL, status=RunStatus.SUCCESS)
    got = await connect_with_password(api, sf)
    assert got["__typename"] == "InvalidInput" and "00D000000000OTHER" in got["message"]
    row = await Integration.get(organization_id=api.org_id)
    assert row.salesforce_org_id == "00D000000000OTHER" and row.state == "ACTIVE"
