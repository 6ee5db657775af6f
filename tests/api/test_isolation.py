"""Tenant isolation (two orgs, every operation tried across them) and secrets: the whole
settings flow over the API, then no stored secret in any answer."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from server.crypto import decrypt, hash_token
from server.entities import Flow
from server.models import (
    ApiToken,
    Integration,
    Organization,
    RunKind,
    StatCounter,
    SyncAction,
    SyncLogEntry,
    SyncRun,
    SyncStatus,
    UserMatch,
)
from tests.api.conftest import Api, connected_org, viewer_of
from tests.api.test_lifecycle import FIELDS
from tests.api.test_users import AUTO, FALLBACK, MATCH, QUERY, UNMATCH

SNAPSHOT = f"""{{ salesforceIntegration {{ {FIELDS} lastRun {{ id }} }}
  apiTokens {{ id name revokedAt }}
  recentSyncRecords {{ ... on SyncRecordList {{ records {{ id }} }} }}
  syncRuns {{ ... on SyncRunConnection {{ edges {{ node {{ id }} }} }} }}
  syncLog {{ ... on SyncLogConnection {{ edges {{ node {{ id }} }} }} }}
  syncStatistics(since: "2000-01-01T00:00:00Z") {{ ... on SyncStatistics {{ entities {{
    entity created }} }} }} }}"""


async def snapshot(api: Api) -> dict:
    return await api.data(SNAPSHOT)


async def engine_rows(org_id: int) -> tuple[SyncRun, SyncLogEntry]:
    run = await SyncRun.create(organization_id=org_id, kind=RunKind.INITIAL)
    entry = await SyncLogEntry.create(
        organization_id=org_id,
        run=run,
        entity="ACCOUNT",
        salesforce_id="001B",
        record_name="Globex secret deal",
        action=SyncAction.CREATED,
        direction=Flow.SALESFORCE_TO_FORCEMANAGER,
        status=SyncStatus.SUCCESS,
    )
    from datetime import UTC, datetime

    await StatCounter.create(
        organization_id=org_id,
        entity="ACCOUNT",
        direction=Flow.SALESFORCE_TO_FORCEMANAGER,
        hour=datetime(2025, 1, 1, tzinfo=UTC),
        created=9,
    )
    return run, entry


async def test_org_a_can_neither_see_nor_change_org_b(
    http: httpx.AsyncClient, sandboxes: tuple, redis: Redis
) -> None:
    sf, fm = sandboxes
    a = await connected_org(http, sf, fm, "Acme")
    b = await connected_org(http, sf, fm, "Globex")
    b_viewer = await viewer_of(b)
    b_token_id = (await ApiToken.get(token_hash=hash_token(b_viewer.token))).id
    run_b, entry_b = await engine_rows(b.org_id)
    users = (await b.data(QUERY))["userMatching"]
    fm_user, sf_user = users["forcemanagerUsers"][0]["id"], users["salesforceUsers"][0]["id"]
    await b.data(MATCH, {"fm": fm_user, "sf": sf_user})
    await b.data(FALLBACK, {"fm": fm_user})
    b_before = await snapshot(b)
    b_matches = await UserMatch.filter(organization_id=b.org_id).count()

    # A sees nothing of B.
    a_view = await snapshot(a)
    assert a_view["apiTokens"] == [
        {"id": a_view["apiTokens"][0]["id"], "name": "first admin token", "revokedAt": None}
    ]
    assert a_view["recentSyncRecords"]["records"] == []
    assert a_view["syncRuns"]["edges"] == [] and a_view["syncLog"]["edges"] == []
    assert a_view["syncStatistics"]["entities"] == []
    assert a_view["salesforceIntegration"]["lastRun"] is None
    assert "Globex" not in str(a.seen)

    # B's ids used by A: "not found", exactly like ids that do not exist.
    revoke = f"mutation {{ revokeApiToken(id: {b_token_id}) {{ __typename "
    revoke += "... on UserError { code message } } }"
    across = (await a.data(revoke))["revokeApiToken"]
    missing = (await a.data(revoke.replace(str(b_token_id), "987654")))["revokeApiToken"]
    assert across["__typename"] == missing["__typename"] == "NotFound"
    assert across["message"].replace(str(b_token_id), "N") == missing["message"].replace(
        "987654", "N"
    )
    assert (await a.data(UNMATCH, {"fm": fm_user}))["unmatchUser"]["__typename"] == "NotFound"
    # A cursor of B's log pages A's own log only.
    from server.reports.pagination import encode_cursor

    paged = await a.data(
        "query($c: String) { syncLog(after: $c) { ... on SyncLogConnection { edges { node "
        "{ id } } } } }",
        {"c": encode_cursor(entry_b.id + 1)},
    )
    assert paged["syncLog"]["edges"] == []

    # Every mutation A can make changes only A.
    await a.data(AUTO)
    await a.data(MATCH, {"fm": fm_user, "sf": sf_user})  # B's pair: free in A
    await a.data(FALLBACK, {"fm": fm_user})
    for op in [
        'configureSyncEntities(entities: [{entity: "CONTACT", enabled: true, '
        "direction: BIDIRECTIONAL}])",
        'salesforceAuthorizationUrl(redirectUri: "https://a.example.com/cb")',
        "startInitialSync",
        "syncNow",
        "pauseSync",
        "resumeSync",
        'createApiToken(name: "a2", role: VIEWER)',
        "disableSalesforceIntegration",
        "enableSalesforceIntegration(acknowledgeDataReplacement: true)",
    ]:
        await a.data(f"mutation {{ {op} {{ __typename }} }}")
    assert await snapshot(b) == b_before
    assert await UserMatch.filter(organization_id=b.org_id).count() == b_matches
    assert (await b_viewer.data("{ salesforceIntegration { state } }"))["salesforceIntegration"][
        "state"
    ] == "CONNECTED"


async def test_no_secret_ever_appears_in_an_answer(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    users = (await api.data(QUERY))["userMatching"]
    await api.data(AUTO)
    await api.data(FALLBACK, {"fm": users["forcemanagerUsers"][0]["id"]})
    await api.data(
        'mutation { configureSyncEntities(entities: [{entity: "CONTACT", enabled: true, '
        "direction: BIDIRECTIONAL}]) { __typename } }"
    )
    created = await api.data(
        'mutation { createApiToken(name: "ci", role: VIEWER) { ... on CreatedApiToken { token } } }'
    )
    new_token = created["createApiToken"]["token"]
    await api.data(
        "mutation { startInitialSync { __typename ... on SalesforceIntegration { state } } }"
    )
    await api.data("{ apiTokens { id name prefix role } }")
    await api.data(f"{{ salesforceIntegration {{ {FIELDS} }} }}")
    await api.data("{ salesforceObjects { __typename } }")

    row = await Integration.get(organization_id=api.org_id)
    org = await Organization.get(id=api.org_id)
    secrets = {
        "salesforce access token": decrypt(row.salesforce_access_token_enc),
        "salesforce password": sf.password,
        "salesforce security token": sf.security_token,
        "forcemanager public key": fm.public_key,
        "forcemanager private key": fm.private_key,
        "admin API token": api.token,
        "encrypted access token": row.salesforce_access_token_enc,
        "encrypted forcemanager key": org.forcemanager_private_key_enc,
    }
    secrets |= {f"token hash {t.name}": t.token_hash for t in await ApiToken.all()}
    answers = "\n".join(api.seen)
    assert len(api.seen) >= 10
    for what, secret in secrets.items():
        assert secret and secret not in answers, what
    # The new token is shown once: in the answer that created it.
    assert sum(new_token in answer for answer in api.seen) == 1
