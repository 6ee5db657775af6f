"""Enabling, starting, pausing, resuming and disabling the integration."""

from __future__ import annotations

from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from server.config import get_settings
from server.entities import CATALOGUE, Direction
from server.integration.errors import (
    AcknowledgementRequired,
    FallbackOwnerRequired,
    NotConnected,
    PlanNotEligible,
    WrongState,
)
from server.integration.schedule import utcnow
from server.integration.state import (
    S,
    activation_changes,
    get_integration,
    initial_load_done,
    require_state,
    transition,
)
from server.jobs import enqueue_sync
from server.models import EntitySetting, Integration, Organization


def plan_eligible(plan: str) -> bool:
    return plan.lower() in [p.lower() for p in get_settings().eligible_plans]


async def enable(org_id: int, acknowledge: bool, acknowledged_by: str) -> Integration:
    """DISABLED → ENABLED, for an eligible plan and with the data-replacement acknowledgement."""
    org = await Organization.get(id=org_id)
    if not plan_eligible(org.plan):
        raise PlanNotEligible(org.plan, get_settings().eligible_plans)
    integration = await get_integration(org_id)
    require_state(integration, [S.DISABLED], "enable the integration")
    if not acknowledge:
        raise AcknowledgementRequired()
    async with in_transaction():
        integration = await transition(
            org_id,
            [S.DISABLED],
            S.ENABLED,
            "enable the integration",
            acknowledged_at=utcnow(),
            acknowledged_by=acknowledged_by,
            error_reason=None,
        )
        for spec in CATALOGUE.values():
            await EntitySetting.get_or_create(
                organization_id=org_id,
                entity=spec.entity.value,
                defaults={
                    "enabled": spec.mandatory,
                    "direction": Direction.SALESFORCE_TO_FORCEMANAGER,
                },
            )
    return integration


async def start_initial_sync(pool: ArqRedis, org_id: int) -> Integration:
    """CONNECTED → INITIAL_SYNC, and queue the job that loads everything."""
    integration = await get_integration(org_id)
    require_state(integration, [S.CONNECTED], "start the initial sync")
    org = await Organization.get(id=org_id)
    if not org.forcemanager_public_key_enc:
        raise NotConnected("ForceManager")
    if integration.fallback_forcemanager_user_id is None:
        raise FallbackOwnerRequired()
    integration = await transition(org_id, [S.CONNECTED], S.INITIAL_SYNC, "start the initial sync")
    await enqueue_sync(pool, org_id, "INITIAL")
    return integration


async def sync_now(pool: ArqRedis, org_id: int) -> tuple[Integration, bool]:
    """Queue an incremental run; True in the answer when it joined one already pending."""
    integration = await get_integration(org_id)
    require_state(integration, [S.ACTIVE], "sync now")
    queued = await enqueue_sync(pool, org_id, "MANUAL")
    return integration, not queued


async def pause(org_id: int) -> Integration:
    return await transition(org_id, [S.ACTIVE], S.PAUSED, "pause the sync", next_run_at=None)


async def resume(pool: ArqRedis, org_id: int) -> Integration:
    """PAUSED → ACTIVE; ERROR → ACTIVE (or CONNECTED when the initial load never finished)."""
    integration = await get_integration(org_id)
    require_state(integration, [S.PAUSED, S.ERROR], "resume the sync")
    if integration.salesforce_access_token_enc is None:
        raise NotConnected("Salesforce")
    if integration.state == S.ERROR and not await initial_load_done(org_id):
        return await transition(
            org_id, [S.ERROR], S.CONNECTED, "resume the sync", error_reason=None
        )
    integration = await transition(
        org_id,
        [S.PAUSED, S.ERROR],
        S.ACTIVE,
        "resume the sync",
        **activation_changes(org_id, integration.interval_minutes),
    )
    await enqueue_sync(pool, org_id, "MANUAL")
    return integration


async def disable(org_id: int) -> Integration:
    """Any state → DISABLED. The Salesforce connection and the acknowledgement are dropped (a
    new enable must acknowledge again); entity choices and user matches are kept."""
    integration = await get_integration(org_id)
    if integration.state == S.DISABLED:
        raise WrongState(
            integration.state, [s.value for s in S if s != S.DISABLED], "disable the integration"
        )
    async with in_transaction():
        integration = await transition(
            org_id,
            [s for s in S if s != S.DISABLED],
            S.DISABLED,
            "disable the integration",
            error_reason=None,
            acknowledged_at=None,
            acknowledged_by=None,
            next_run_at=None,
            **disconnected_fields(),
        )
    return integration


def disconnected_fields() -> dict[str, None]:
    return {
        "salesforce_auth_method": None,
        "salesforce_instance_url": None,
        "salesforce_username": None,
        "salesforce_org_id": None,
        "salesforce_user_id": None,
        "salesforce_access_token_enc": None,
        "salesforce_refresh_token_enc": None,
        "salesforce_password_enc": None,
        "salesforce_security_token_enc": None,
        "salesforce_domain": None,
        "salesforce_connected_at": None,
    }

