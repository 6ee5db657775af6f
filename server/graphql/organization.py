"""The caller's organization and its ForceManager API keys."""

from __future__ import annotations

from typing import Annotated

import strawberry

from server.graphql import errors as e
from server.graphql.context import Info, org_id
from server.graphql.permissions import mutation, query
from server.graphql.types import SalesforceIntegration, load_integration
from server.models import Organization as OrganizationRow
from server.organizations import service


@strawberry.type(description="The caller's organization. Keys are never shown.")
class Organization:
    id: int
    name: str
    plan: str
    forcemanager_connected: bool


SetForceManagerCredentialsResult = Annotated[
    SalesforceIntegration | e.InvalidInput | e.ExternalUnavailable,
    strawberry.union("SetForceManagerCredentialsResult"),
]


@strawberry.type
class OrganizationQuery:
    @query(description="The organization the token belongs to.")
    async def organization(self, info: Info) -> Organization:
        org = await OrganizationRow.get(id=org_id(info))
        return Organization(
            id=org.id,
            name=org.name,
            plan=org.plan,
            forcemanager_connected=bool(org.forcemanager_public_key_enc),
        )


@strawberry.type
class OrganizationMutation:
    @mutation(
        description="Store the org's ForceManager API keys (checked by logging in first; "
        "kept encrypted, never shown)."
    )
    async def set_forcemanager_credentials(
        self, info: Info, public_key: str, private_key: str
    ) -> SetForceManagerCredentialsResult:
        done = await e.attempt(
            service.set_forcemanager_keys(org_id(info), public_key, private_key)
        )
        if isinstance(done, e.UserError):
            return done
        return await load_integration(org_id(info))
