"""The Salesforce objects the org can sync, with their ForceManager counterparts."""

from __future__ import annotations

from typing import Annotated

import strawberry

from server.entities import Entity
from server.graphql import errors as e
from server.graphql.context import Info, org_id
from server.graphql.permissions import query
from server.integration import objects


@strawberry.type
class CustomField:
    name: str
    label: str
    type: str


@strawberry.type
class SalesforceObject:
    name: str
    label: str
    entity: Entity
    forcemanager_entity: str
    custom_fields: list[CustomField] = strawberry.field(
        description="Salesforce custom fields (…__c); synced as ForceManager extra fields (Z_…)."
    )


@strawberry.type
class SalesforceObjectList:
    objects: list[SalesforceObject]


SalesforceObjectsResult = Annotated[
    SalesforceObjectList | e.NotConnected | e.ExternalUnavailable | e.SalesforceAuthFailed,
    strawberry.union("SalesforceObjectsResult"),
]


@strawberry.type
class ObjectsQuery:
    @query(description="Syncable Salesforce objects of the connected org (from its describe).")
    async def salesforce_objects(self, info: Info) -> SalesforceObjectsResult:
        done = await e.attempt(objects.salesforce_objects(org_id(info)))
        if isinstance(done, e.UserError):
            return done
        return SalesforceObjectList(
            objects=[
                SalesforceObject(
                    name=o.spec.salesforce_object,
                    label=o.label,
                    entity=o.spec.entity,
                    forcemanager_entity=o.spec.forcemanager_resource,
                    custom_fields=[
                        CustomField(name=f.name, label=f.label, type=f.type)
                        for f in o.custom_fields
                    ],
                )
                for o in done
            ]
        )
