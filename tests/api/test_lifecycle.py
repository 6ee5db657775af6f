"""The integration's states: enable, configure entities, start, sync now, pause, resume,
disable — each success and each typed refusal, and that a refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from server.crypto import encrypt
from server.integration.schedule import next_run_after, schedule_offset
from server.jobs import queue_name, sync_job_id
from server.models import Integration, IntegrationState, RunKind, RunStatus, SyncRun
from tests.api.conftest import Api, new_org

FIELDS = """
    state planEligible plan acknowledgedAt acknowledgedBy errorReason nextRunAt
    fallbackOwnerForcemanagerUserId
    connection { authMethod instanceUrl username salesforceOrgId }
    entities { entity salesforceObject forcemanagerEntity enabled direction mandatory
               supportedDirections }
"""
INTEGRATION = f"""
  __typename
  ... on SalesforceIntegration {{ {FIELDS} }}
  ... on UserError {{ code message }}
  ... on WrongState {{ state allowedStates }}
"""

ENABLE = f"""mutation($ack: Boolean!) {{
  enableSalesforceIntegration(acknowledgeDataReplacement: $ack) {{ {INTEGRATION}
    ... on PlanNotEligible {{ plan eligiblePlans }} }} }}"""


def mutation(name: str, args: str = "") -> str:
    return f"mutation {{ {name}{args} {{ {INTEGRATION} }} }}"


async def state(api: Api) -> dict:
    return (await api.data(f"{{ salesforceIntegration {{ {FIELDS} }} }}"))[
        "salesforceIntegration"
    ]


async def enable(api: Api) -> dict:
    return (await api.data(ENABLE, {"ack": True}))["enableSalesforceIntegration"]


async def connect_directly(org_id: int) -> None:
    """Test shortcut to CONNECTED (the real OAuth/password flows: test_connection.py)."""
    await Integration.filter(organization_id=org_id).update(
        state=IntegrationState.CONNECTED,
        salesforce_auth_method="SESSION",
        salesforce_instance_url="https://sf.example.com",
        salesforce_access_token_enc=encrypt("00Dsecret!token"),
        fallback_forcemanager_user_id=7,
    )


async def queued_jobs(redis: Redis) -> list[str]:
    return [j.decode() for j in await redis.zrange(queue_name(), 0, -1)]


async def test_fresh_integration_is_disabled_with_account_mandatory(admin: Api) -> None:
    got = await state(admin)
    assert got["state"] == "DISABLED" and got["planEligible"] and got["connection"] is None
    account = next(e for e in got["entities"] if e["entity"] == "ACCOUNT")
    assert account == {
        "entity": "ACCOUNT",
        "salesforceObject": "Account",
        "forcemanagerEntity": "accounts",
        "enabled": True,
        "direction": "SALESFORCE_TO_FORCEMANAGER",
        "mandatory": True,
        "supportedDirections": ["SALESFORCE_TO_FORCEMANAGER", "BIDIRECTIONAL"],
    }
    product = next(e for e in got["entities"] if e["entity"] == "PRODUCT")
    assert product["supportedDirections"] == ["SALESFORCE_TO_FORCEMANAGER"]


async def test_enable_requires_eligible_plan(http: httpx.AsyncClient) -> None:
    starter = await new_org(http, "Small", "starter")
    got = (await starter.data(ENABLE, {"ack": True}))["enableSalesforceIntegration"]
    assert got["__typename"] == "PlanNotEligible"
    assert got["code"] == "PLAN_NOT_ELIGIBLE" and got["plan"] == "starter"
    assert "business" in got["eligiblePlans"] and "starter" in got["message"]
    assert (await state(starter))["state"] == "DISABLED"
    assert (await state(starter))["planEligible"] is False


async def test_enable_requires_acknowledgement(admin: Api) -> None:
    got = (await admin.data(ENABLE, {"ack": False}))["enableSalesforceIntegration"]
    assert got["__typename"] == "AcknowledgementRequired"
    assert got["code"] == "ACKNOWLEDGEMENT_REQUIRED"
    assert (await state(admin))["state"] == "DISABLED"


async def test_enable_records_who_acknowledged_and_refuses_twice(admin: Api) -> None:
    got = await enable(admin)
    assert got["state"] == "ENABLED"
    assert got["acknowledgedAt"] and "first admin token" in got["acknowledgedBy"]
    again = await enable(admin)
    assert again["__typename"] == "WrongState"
    assert again["state"] == "ENABLED" and again["allowedStates"] == ["DISABLED"]


async def test_steps_out_of_order_say_why(admin: Api) -> None:
    for name in ("startInitialSync", "pauseSync", "resumeSync", "disableSalesforceIntegration"):
        got = (await admin.data(mutation(name)))[name]
        assert got["__typename"] == "WrongState", (name, got)
        assert got["code"] == "WRONG_STATE" and "DISABLED" in got["message"]
    got = (await admin.data("mutation { syncNow { __typename ... on WrongState { state } } }"))
    assert got["syncNow"] == {"__typename": "WrongState", "state": "DISABLED"}
    await enable(admin)
    got = (await admin.data(mutation("startInitialSync")))["startInitialSync"]
    assert got["__typename"] == "WrongState" and got["allowedStates"] == ["CONNECTED"]


async def test_start_initial_sync_needs_forcemanager_keys_and_fallback_owner(
    http: httpx.AsyncClient, redis: Redis
) -> None:
    no_keys = await new_org(http, "NoKeys")
    await enable(no_keys)
    await connect_directly(no_keys.org_id)
    got = (await no_keys.data(mutation("startInitialSync")))["startInitialSync"]
    assert got["__typename"] == "NotConnected" and "ForceManager" in got["message"]

    org = await new_org(
        http, "Keys", forcemanager_public_key="pk", forcemanager_private_key="sk"
    )
    await enable(org)
    await connect_directly(org.org_id)
    await Integration.filter(organization_id=org.org_id).update(
        fallback_forcemanager_user_id=None
    )
    got = (await org.data(mutation("startInitialSync")))["startInitialSync"]
    assert got["__typename"] == "FallbackOwnerRequired"
    assert (await state(org))["state"] == "CONNECTED"
    assert await queued_jobs(redis) == []


async def test_full_life_start_sync_pause_resume_disable(
    http: httpx.AsyncClient, redis: Redis
) -> None:
    org = await new_org(
        http, "Life", forcemanager_public_key="pk", forcemanager_private_key="sk"
    )
    await enable(org)
    await connect_directly(org.org_id)

    started = (await org.data(mutation("startInitialSync")))["startInitialSync"]
    assert started["state"] == "INITIAL_SYNC"
    assert await queued_jobs(redis) == [sync_job_id(org.org_id)]
    # syncNow during the initial load is refused; the engine finishes it.
    got = await org.data("mutation { syncNow { __typename } }")
    assert got["syncNow"]["__typename"] == "WrongState"

    from server.integration.state import finish_initial_sync

    await SyncRun.create(
        organization_id=org.org_id, kind=RunKind.INITIAL, status=RunStatus.SUCCESS
    )
    before = datetime.now(UTC)
    await finish_initial_sync(org.org_id)
    after = datetime.now(UTC)
    active = await state(org)
    assert active["state"] == "ACTIVE"
    next_run = datetime.fromisoformat(active["nextRunAt"])
    # The org's own slot in the 15-minute window, the first one after it became active.
    offset = schedule_offset(org.org_id, 15)
    assert next_run in {next_run_after(t, offset, 15) for t in (before, after)}

    # The initial job is still pending: a manual sync joins it.
    now = await org.data(
        "mutation { syncNow { __typename ... on SyncRequested { coalesced "
        "integration { state } } } }"
    )
    assert now["syncNow"] == {
        "__typename": "SyncRequested",
        "coalesced": True,
        "integration": {"state": "ACTIVE"},
    }
    await redis.delete(f"arq:job:{sync_job_id(org.org_id)}")
    await redis.zrem(queue_name(), sync_job_id(org.org_id))
    now = await org.data("mutation { syncNow { ... on SyncRequested { coalesced } } }")
    assert now["syncNow"] == {"coalesced": False}
    assert await queued_jobs(redis) == [sync_job_id(org.org_id)]

    paused = (await org.data(mutation("pauseSync")))["pauseSync"]
    assert paused["state"] == "PAUSED" and paused["nextRunAt"] is None
    assert (await org.data(mutation("pauseSync")))["pauseSync"]["__typename"] == "WrongState"
    resumed = (await org.data(mutation("resumeSync")))["resumeSync"]
    assert resumed["state"] == "ACTIVE" and resumed["nextRunAt"]

    disabled = (await org.data(mutation("disableSalesforceIntegration")))[
        "disableSalesforceIntegration"
    ]
    assert disabled["state"] == "DISABLED"
    assert disabled["connection"] is None and disabled["acknowledgedAt"] is None
    row = await Integration.get(organization_id=org.org_id)
    assert row.salesforce_access_token_enc is None
    # Enabling again asks for the acknowledgement again.
    got = (await org.data(ENABLE, {"ack": False}))["enableSalesforceIntegration"]
    assert got["__typename"] == "AcknowledgementRequired"


async def test_engine_error_and_resume(http: httpx.AsyncClient) -> None:
    from server.integration.state import mark_error

    org = await new_org(http, "Err", forcemanager_public_key="pk", forcemanager_private_key="sk")
    await enable(org)
    await connect_directly(org.org_id)
    await org.data(mutation("startInitialSync"))
    await mark_error(org.org_id, "Salesforce refused the session: INVALID_SESSION_ID")
    failed = await state(org)
    assert failed["state"] == "ERROR" and "INVALID_SESSION_ID" in failed["errorReason"]
    # The initial load never finished: resuming goes back to CONNECTED, to start it again.
    back = (await org.data(mutation("resumeSync")))["resumeSync"]
    assert back["state"] == "CONNECTED" and back["errorReason"] is None


async def test_schedule_offset_is_stable_per_org() -> None:
    from server.integration.schedule import next_run_after, schedule_offset

    assert schedule_offset(42, 15) == schedule_offset(42, 15)
    offsets = {schedule_offset(org, 15) for org in range(1, 200)}
    assert len(offsets) > 150 and all(0 <= o < 900 for o in offsets)
    now = datetime(2025, 1, 1, 12, 0, 10, tzinfo=UTC)
    nxt = next_run_after(now, 30, 15)
    assert nxt == datetime(2025, 1, 1, 12, 0, 30, tzinfo=UTC)
    assert next_run_after(nxt, 30, 15) == datetime(2025, 1, 1, 12, 15, 30, tzinfo=UTC)


async def test_concurrent_transitions_move_once(http: httpx.AsyncClient) -> None:
    import asyncio

    org = await new_org(http, "Race", forcemanager_public_key="pk", forcemanager_private_key="sk")
    await enable(org)
    await Integration.filter(organization_id=org.org_id).update(state=IntegrationState.ACTIVE)
    answers = await asyncio.gather(*(org.data(mutation("pauseSync")) for _ in range(5)))
    kinds = sorted(a["pauseSync"]["__typename"] for a in answers)
    assert kinds == ["SalesforceIntegration"] + ["WrongState"] * 4
    assert (await state(org))["state"] == "PAUSED"
