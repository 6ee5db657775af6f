"""The Salesforce objects the org can sync, read from its describe."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from server.entities import CATALOGUE, EntitySpec
from server.integration.clients import salesforce_client
from server.integration.external import calling


@dataclass(frozen=True)
class CustomField:
    name: str
    label: str
    type: str


@dataclass(frozen=True)
class SalesforceObject:
    spec: EntitySpec
    label: str
    custom_fields: list[CustomField]


async def salesforce_objects(org_id: int) -> list[SalesforceObject]:
    """Catalogue objects present in the org (describeGlobal), with their custom fields."""
    client = await salesforce_client(org_id)
    async with client, calling("Salesforce"):
        available = {o.name: o for o in await client.describe_global()}
        specs = [s for s in CATALOGUE.values() if s.salesforce_object in available]
        describes = await asyncio.gather(*(client.describe(s.salesforce_object) for s in specs))
    return [
        SalesforceObject(
            spec,
            label=available[spec.salesforce_object].label,
            custom_fields=[
                CustomField(f.name, f.label, f.type) for f in describe.fields if f.custom
            ],
        )
        for spec, describe in zip(specs, describes, strict=True)
    ]
