"""The typed failures not met on the happy paths: the external systems failing, steps in the
wrong state, missing credentials, bad arguments. Each changes nothing."""

from __future__ import annotations

import httpx

from server.crypto import encrypt
from server.models import Integration, OAuthState, UserMatch
from tests.api.conftest import (
    PASSWORD_CONNECT,
    Api,
    connect_with_password,
    connected_org,
    enable,
    new_org,
    org_with_keys,
)
from tests.api.test_connection import COMPLETE, start
from tests.api.test_users import AUTO, FALLBACK, MATCH, QUERY

OBJECTS = "{ salesforceObjects { __typename ... on UserError { code message } } }"


async def test_salesforce_down_while_connecting(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    sf.admin.fail_next(count=10, status=503, path_prefix="/services/Soap")
    got = await connect_with_password(api, sf)
    assert got["__typename"] == "ExternalUnavailable", got
    assert got["code"] == "SALESFORCE_UNAVAILABLE" and "Salesforce" in got["message"]
    assert (await Integration.get(organization_id=api.org_id)).state == "ENABLED"


async def test_forcemanager_refusing_while_matching(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    fm.fail(status=400, count=10, path_prefix="/users")
    for query in (QUERY, AUTO):
        got = await api.data(query)
        answer = next(iter(got.values()))
        assert answer["__typename"] == "ExternalUnavailable", answer
        assert answer["code"] == "FORCEMANAGER_UNAVAILABLE"
    assert await UserMatch.filter(organization_id=api.org_id).count() == 0


async def test_revoked_salesforce_session_says_so(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    # A session-only connection (no refresh token, no password) whose session is gone.
    await Integration.filter(organization_id=api.org_id).update(
        salesforce_auth_method="SESSION",
        salesforce_access_token_enc=encrypt("00Dxx!expired"),
        salesforce_password_enc=None,
        salesforce_security_token_enc=None,
        salesforce_refresh_token_enc=None,
    )
    for query in (QUERY, OBJECTS):
        got = next(iter((await api.data(query)).values()))
        assert got["__typename"] == "SalesforceAuthFailed", got
        assert got["code"] == "SALESFORCE_AUTH_FAILED"


async def test_wrong_state_and_missing_credentials(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    ids = (await api.data(QUERY))["userMatching"]
    fm_id, sf_id = ids["forcemanagerUsers"][0]["id"], ids["salesforceUsers"][0]["id"]

    # OAuth completed while the initial load runs: refused, and the state is not burned.
    started = await start(api)
    await Integration.filter(organization_id=api.org_id).update(state="INITIAL_SYNC")
    got = (await api.data(COMPLETE, {"code": "x", "state": started["state"]}))[
        "completeSalesforceAuthorization"
    ]
    assert got["__typename"] == "WrongState" and got["code"] == "WRONG_STATE"
    assert await OAuthState.filter(organization_id=api.org_id, used_at=None).count() == 1

    # Matching while DISABLED.
    await api.data("mutation { disableSalesforceIntegration { __typename } }")
    for query, variables in ((AUTO, None), (MATCH, {"fm": fm_id, "sf": sf_id})):
        got = next(iter((await api.data(query, variables)).values()))
        assert got["__typename"] == "WrongState", got
    got = (await api.data(FALLBACK, {"fm": fm_id}))["setFallbackOwner"]
    assert got["__typename"] == "WrongState"

    # PAUSED without a Salesforce connection cannot resume.
    await Integration.filter(organization_id=api.org_id).update(state="PAUSED")
    got = await api.data(
        "mutation { resumeSync { __typename ... on UserError { code } } }"
    )
    assert got["resumeSync"] == {"__typename": "NotConnected", "code": "NOT_CONNECTED"}


async def test_fallback_owner_needs_forcemanager_keys(http: httpx.AsyncClient) -> None:
    api = await new_org(http)
    await enable(api)
    got = (await api.data(FALLBACK, {"fm": "1"}))["setFallbackOwner"]
    assert got["__typename"] == "NotConnected" and "ForceManager" in got["message"]


async def test_password_connect_needs_a_username(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    got = (await api.data(PASSWORD_CONNECT, {"u": "  ", "p": "x", "t": ""}))[
        "connectSalesforceWithPassword"
    ]
    assert got["__typename"] == "InvalidInput"
    assert sf.admin.counters().get("login", 0) == 0  # Salesforce was never asked


async def test_sync_runs_page_size_is_checked(admin: Api) -> None:
    for first in (0, 501):
        got = await admin.data(
            f"{{ syncRuns(first: {first}) {{ __typename ... on UserError {{ code }} }} }}"
        )
        assert got["syncRuns"] == {"__typename": "InvalidInput", "code": "INVALID_INPUT"}


SET_KEYS = """mutation($pub: String!, $priv: String!) {
  setForcemanagerCredentials(publicKey: $pub, privateKey: $priv) { __typename
    ... on SalesforceIntegration { forcemanagerConnected }
    ... on UserError { code message } } }"""


async def test_forcemanager_keys_are_checked_then_stored(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    from server.crypto import decrypt
    from server.models import Organization

    _, fm = sandboxes
    api = await new_org(http, forcemanager_base_url=fm.url)
    org = await api.data("{ organization { name plan forcemanagerConnected } }")
    assert org["organization"] == {
        "name": "Acme", "plan": "business", "forcemanagerConnected": False,
    }
    wrong = (await api.data(SET_KEYS, {"pub": fm.public_key, "priv": "nope"}))
    answer = wrong["setForcemanagerCredentials"]
    assert answer["__typename"] == "ExternalUnavailable"
    assert answer["code"] == "FORCEMANAGER_UNAVAILABLE" and "refused" in answer["message"]
    empty = (await api.data(SET_KEYS, {"pub": " ", "priv": "x"}))["setForcemanagerCredentials"]
    assert empty["__typename"] == "InvalidInput"
    assert (await Organization.get(id=api.org_id)).forcemanager_private_key_enc is None

    ok = (await api.data(SET_KEYS, {"pub": fm.public_key, "priv": fm.private_key}))
    assert ok["setForcemanagerCredentials"] == {
        "__typename": "SalesforceIntegration", "forcemanagerConnected": True,
    }
    row = await Organization.get(id=api.org_id)
    assert decrypt(row.forcemanager_private_key_enc) == fm.private_key
    assert fm.private_key not in "".join(api.seen)
