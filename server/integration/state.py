"""The integration's state machine.

DISABLED → ENABLED → CONNECTED → INITIAL_SYNC → ACTIVE ⇄ PAUSED; any of the running states
→ ERROR (the engine, with a reason); every state → DISABLED.

Transitions are conditional UPDATEs (`WHERE state IN allowed`), so two concurrent requests
cannot both move the same integration: the loser gets WrongState.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.config import get_settings
from server.integration.errors import NotFound, WrongState
from server.integration.schedule import next_run_after, schedule_offset, utcnow
from server.models import Integration, IntegrationState, Organization, RunKind, RunStatus, SyncRun

S = IntegrationState

# States in which a Salesforce connection exists and may be used.
CONNECTED_STATES = (S.CONNECTED, S.INITIAL_SYNC, S.ACTIVE, S.PAUSED, S.ERROR)
# States in which settings (entities, matches, fallback owner) may be changed.
CONFIGURABLE_STATES = (S.ENABLED, S.CONNECTED, S.ACTIVE, S.PAUSED, S.ERROR)


async def get_integration(org_id: int) -> Integration:
    """The org's integration, created DISABLED on first access."""
    if not await Organization.filter(id=org_id).exists():
        raise NotFound("Organization", org_id)
    integration, _ = await Integration.get_or_create(
        organization_id=org_id,
        defaults={"interval_minutes": get_settings().sync_interval_minutes},
    )
    return integration


def require_state(
    integration: Integration, allowed: Iterable[IntegrationState], action: str
) -> None:
    allowed = list(allowed)
    if integration.state not in allowed:
        raise WrongState(integration.state, [s.value for s in allowed], action)


async def transition(
    org_id: int,
    allowed: Iterable[IntegrationState],
    to: IntegrationState,
    action: str,
    **changes: Any,
) -> Integration:
    """Move to `to` if the current state is one of `allowed`, atomically."""
    allowed = list(allowed)
    integration = await get_integration(org_id)
    require_state(integration, allowed, action)
    moved = await Integration.filter(id=integration.id, state__in=allowed).update(
        state=to, **changes
    )
    if not moved:  # someone else moved it between our read and our write
        await integration.refresh_from_db()
        raise WrongState(integration.state, [s.value for s in allowed], action)
    await integration.refresh_from_db()
    return integration


def activation_changes(org_id: int, interval_minutes: int) -> dict[str, Any]:
    """Schedule fields for an integration becoming ACTIVE."""
    offset = schedule_offset(org_id, interval_minutes)
    return {
        "schedule_offset_seconds": offset,
        "next_run_at": next_run_after(utcnow(), offset, interval_minutes),
        "error_reason": None,
    }


async def initial_load_done(org_id: int) -> bool:
    return await SyncRun.filter(
        organization_id=org_id,
        kind=RunKind.INITIAL,
        status__in=[RunStatus.SUCCESS, RunStatus.PARTIAL],
    ).exists()


# --- called by the sync engine -------------------------------------------------------------


async def finish_initial_sync(org_id: int) -> Integration:
    """INITIAL_SYNC → ACTIVE once the initial load has finished; schedules the next run."""
    integration = await get_integration(org_id)
    return await transition(
        org_id,
        [S.INITIAL_SYNC],
        S.ACTIVE,
        "finish the initial sync",
        **activation_changes(org_id, integration.interval_minutes),
    )


async def mark_error(org_id: int, reason: str) -> None:
    """Put a running integration into ERROR with a reason a person can act on (e.g. the
    Salesforce credentials were revoked). A disabled integration stays disabled."""
    await get_integration(org_id)
    await Integration.filter(
        organization_id=org_id, state__in=list(CONNECTED_STATES)
    ).update(state=S.ERROR, error_reason=reason, next_run_at=None)


async def mark_ran(org_id: int) -> None:
    """Move the next automatic run one interval on (the engine calls it after a run)."""
    integration = await get_integration(org_id)
    if integration.state == S.ACTIVE:
        await Integration.filter(id=integration.id).update(
            next_run_at=next_run_after(
                utcnow(), integration.schedule_offset_seconds, integration.interval_minutes
            )
        )
