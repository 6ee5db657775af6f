"""Output types shared by several domains of the schema."""

from __future__ import annotations

from datetime import datetime

import strawberry

from server.entities import Direction, Entity, Flow
from server.integration.entity_settings import EntityView, entity_settings
from server.integration.lifecycle import plan_eligible
from server.integration.state import get_integration
from server.models import (
    Integration,
    IntegrationState,
    MatchMethod,
    Organization,
    Role,
    RunKind,
    RunStatus,
    SyncAction,
    SyncLogEntry,
    SyncRun,
    SyncStatus,
)
from server.reports.service import last_run

strawberry.enum(IntegrationState)
strawberry.enum(Direction)
strawberry.enum(Flow)
strawberry.enum(Entity)
strawberry.enum(SyncAction)
strawberry.enum(SyncStatus)
strawberry.enum(RunKind)
strawberry.enum(RunStatus)
strawberry.enum(Role)
strawberry.enum(MatchMethod)


@strawberry.type(description="The Salesforce connection; secrets are never shown.")
class SalesforceConnection:
    auth_method: str
    instance_url: str
    username: str | None
    salesforce_org_id: str | None
    salesforce_user_id: str | None
    connected_at: datetime | None


@strawberry.type
class EntitySetting:
    entity: Entity
    salesforce_object: str
    forcemanager_entity: str
    enabled: bool
    direction: Direction
    mandatory: bool
    supported_directions: list[Direction]

    @classmethod
    def from_view(cls, view: EntityView) -> EntitySetting:
        return cls(
            entity=view.spec.entity,
            salesforce_object=view.spec.salesforce_object,
            forcemanager_entity=view.spec.forcemanager_resource,
            enabled=view.enabled,
            direction=view.direction,
            mandatory=view.spec.mandatory,
            supported_directions=list(view.spec.directions),
        )


@strawberry.type(name="SyncRun")
class SyncRunType:
    id: int
    kind: RunKind
    trigger: str
    status: RunStatus
    reason: str | None
    started_at: datetime
    finished_at: datetime | None
    salesforce_calls: int
    forcemanager_calls: int
    created: int
    updated: int
    deleted: int
    failed: int

    @classmethod
    def from_model(cls, run: SyncRun) -> SyncRunType:
        return cls(
            id=run.id,
            kind=RunKind(run.kind),
            trigger=run.trigger,
            status=RunStatus(run.status),
            reason=run.reason,
            started_at=run.started_at,
            finished_at=run.finished_at,
            salesforce_calls=run.salesforce_calls,
            forcemanager_calls=run.forcemanager_calls,
            created=run.created,
            updated=run.updated,
            deleted=run.deleted,
            failed=run.failed,
        )


@strawberry.type(description="One record change the sync made (or failed to make).")
class SyncRecord:
    id: strawberry.ID
    entity: Entity
    record_name: str | None
    salesforce_id: str | None
    forcemanager_id: strawberry.ID | None
    action: SyncAction
    direction: Flow
    status: SyncStatus
    error_code: str | None
    error_message: str | None
    owner_fallback: bool
    run_id: int | None
    at: datetime

    @classmethod
    def from_model(cls, row: SyncLogEntry) -> SyncRecord:
        return cls(
            id=strawberry.ID(str(row.id)),
            entity=Entity(row.entity),
            record_name=row.record_name,
            salesforce_id=row.salesforce_id,
            forcemanager_id=(
                strawberry.ID(str(row.forcemanager_id)) if row.forcemanager_id else None
            ),
            action=SyncAction(row.action),
            direction=Flow(row.direction),
            status=SyncStatus(row.status),
            error_code=row.error_code,
            error_message=row.error_message,
            owner_fallback=row.owner_fallback,
            run_id=row.run_id,  # type: ignore[attr-defined]
            at=row.created_at,
        )


@strawberry.type(description="The Salesforce integration of the caller's organization.")
class SalesforceIntegration:
    state: IntegrationState
    plan: str
    plan_eligible: bool
    error_reason: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    connection: SalesforceConnection | None
    forcemanager_connected: bool
    entities: list[EntitySetting]
    fallback_owner_forcemanager_user_id: int | None
    last_run: SyncRunType | None
    next_run_at: datetime | None
    interval_minutes: int


async def load_integration(
    org_id: int, integration: Integration | None = None
) -> SalesforceIntegration:
    """Everything the settings page shows, read fresh."""
    integration = integration or await get_integration(org_id)
    org = await Organization.get(id=org_id)
    connection = None
    if integration.salesforce_instance_url and integration.salesforce_access_token_enc:
        connection = SalesforceConnection(
            auth_method=integration.salesforce_auth_method or "",
            instance_url=integration.salesforce_instance_url,
            username=integration.salesforce_username,
            salesforce_org_id=integration.salesforce_org_id,
            salesforce_user_id=integration.salesforce_user_id,
            connected_at=integration.salesforce_connected_at,
        )
    run = await last_run(org_id)
    return SalesforceIntegration(
        state=IntegrationState(integration.state),
        plan=org.plan,
        plan_eligible=plan_eligible(org.plan),
        error_reason=integration.error_reason,
        acknowledged_at=integration.acknowledged_at,
        acknowledged_by=integration.acknowledged_by,
        connection=connection,
        forcemanager_connected=bool(org.forcemanager_public_key_enc),
        entities=[EntitySetting.from_view(v) for v in await entity_settings(org_id)],
        fallback_owner_forcemanager_user_id=integration.fallback_forcemanager_user_id,
        last_run=SyncRunType.from_model(run) if run else None,
        next_run_at=integration.next_run_at,
        interval_minutes=integration.interval_minutes,
    )
