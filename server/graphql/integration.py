"""The integration's settings and life: read it, enable, choose entities, start, pause,
resume, sync now, disable."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

import strawberry

from server.entities import Direction
from server.graphql import errors as e
from server.graphql.context import Info, caller, org_id, queue
from server.graphql.permissions import mutation, query
from server.graphql.types import SalesforceIntegration, load_integration
from server.integration import entity_settings, lifecycle

EnableSalesforceIntegrationResult = Annotated[
    SalesforceIntegration | e.PlanNotEligible | e.AcknowledgementRequired | e.WrongState,
    strawberry.union("EnableSalesforceIntegrationResult"),
]
ConfigureSyncEntitiesResult = Annotated[
    SalesforceIntegration
    | e.MandatoryEntity
    | e.UnknownEntity
    | e.UnsupportedDirection
    | e.WrongState
    | e.InvalidInput,
    strawberry.union("ConfigureSyncEntitiesResult"),
]
StartInitialSyncResult = Annotated[
    SalesforceIntegration | e.WrongState | e.NotConnected | e.FallbackOwnerRequired,
    strawberry.union("StartInitialSyncResult"),
]
StateChangeResult = Annotated[
    SalesforceIntegration | e.WrongState | e.NotConnected,
    strawberry.union("StateChangeResult"),
]


@strawberry.type(description="A manual sync was queued (or joined one already pending).")
class SyncRequested:
    integration: SalesforceIntegration
    coalesced: bool = strawberry.field(
        description="True when a run was already pending: this request joined it."
    )


SyncNowResult = Annotated[SyncRequested | e.WrongState, strawberry.union("SyncNowResult")]


@strawberry.input
class SyncEntityInput:
    entity: str = strawberry.field(description="ACCOUNT, CONTACT, OPPORTUNITY, TASK, EVENT...")
    enabled: bool
    direction: Direction = Direction.SALESFORCE_TO_FORCEMANAGER


def _who(info: Info) -> str:
    found = caller(info)
    return f"API token {found.token_id} ({found.token_name})"


async def _changed(info: Info, call: Awaitable[object]) -> SalesforceIntegration | e.UserError:
    done = await e.attempt(call)
    if isinstance(done, e.UserError):
        return done
    return await load_integration(org_id(info))


@strawberry.type
class IntegrationQuery:
    @query(description="The integration of the caller's organization (created DISABLED).")
    async def salesforce_integration(self, info: Info) -> SalesforceIntegration:
        return await load_integration(org_id(info))


@strawberry.type
class IntegrationMutation:
    @mutation(
        description="DISABLED → ENABLED. Only eligible plans; the first sync replaces the "
        "ForceManager data of the synced entities, so the acknowledgement must be true."
    )
    async def enable_salesforce_integration(
        self, info: Info, acknowledge_data_replacement: bool
    ) -> EnableSalesforceIntegrationResult:
        return await _changed(
            info, lifecycle.enable(org_id(info), acknowledge_data_replacement, _who(info))
        )

    @mutation(
        description="Choose entities and directions. Account cannot be disabled; the whole "
        "input is checked before anything is stored; entities not listed keep their setting."
    )
    async def configure_sync_entities(
        self, info: Info, entities: list[SyncEntityInput]
    ) -> ConfigureSyncEntitiesResult:
        choices = [
            entity_settings.EntityChoice(i.entity, i.enabled, i.direction) for i in entities
        ]
        return await _changed(info, entity_settings.configure(org_id(info), choices))

    @mutation(description="CONNECTED → INITIAL_SYNC: back up, replace and load everything.")
    async def start_initial_sync(self, info: Info) -> StartInitialSyncResult:
        pool = await queue(info)
        return await _changed(info, lifecycle.start_initial_sync(pool, org_id(info)))

    @mutation(description="Queue an incremental sync now (ACTIVE only).")
    async def sync_now(self, info: Info) -> SyncNowResult:
        pool = await queue(info)
        done = await e.attempt(lifecycle.sync_now(pool, org_id(info)))
        if isinstance(done, e.UserError):
            return done
        integration, coalesced = done
        return SyncRequested(
            integration=await load_integration(org_id(info), integration), coalesced=coalesced
        )

    @mutation(description="ACTIVE → PAUSED: automatic runs stop until resumed.")
    async def pause_sync(self, info: Info) -> StateChangeResult:
        return await _changed(info, lifecycle.pause(org_id(info)))

    @mutation(
        description="PAUSED or ERROR → ACTIVE (ERROR before the initial load finished → "
        "CONNECTED, to start it again)."
    )
    async def resume_sync(self, info: Info) -> StateChangeResult:
        pool = await queue(info)
        return await _changed(info, lifecycle.resume(pool, org_id(info)))

    @mutation(
        description="Any state → DISABLED: stops syncing and forgets the Salesforce "
        "connection and the acknowledgement; entity choices and user matches are kept."
    )
    async def disable_salesforce_integration(self, info: Info) -> StateChangeResult:
        return await _changed(info, lifecycle.disable(org_id(info)))
