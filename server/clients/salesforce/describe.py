"""describeGlobal and describe answers, reduced to what the integration uses."""

from __future__ import annotations

from typing import Any

from server.clients.salesforce.types import FieldInfo, SObjectDescribe, SObjectSummary


def parse_summary(item: dict[str, Any]) -> SObjectSummary:
    return SObjectSummary(
        name=item["name"],
        label=item.get("label") or item["name"],
        custom=bool(item.get("custom")),
        queryable=bool(item.get("queryable")),
        createable=bool(item.get("createable")),
        updateable=bool(item.get("updateable")),
        deletable=bool(item.get("deletable")),
        key_prefix=item.get("keyPrefix"),
    )


def parse_field(item: dict[str, Any]) -> FieldInfo:
    return FieldInfo(
        name=item["name"],
        label=item.get("label") or item["name"],
        type=item.get("type") or "string",
        custom=bool(item.get("custom")),
        createable=bool(item.get("createable")),
        updateable=bool(item.get("updateable")),
        nillable=bool(item.get("nillable")),
        picklist_values=[
            p["value"] for p in item.get("picklistValues") or [] if p.get("active", True)
        ],
        reference_to=list(item.get("referenceTo") or []),
        length=int(item.get("length") or 0),
        relationship_name=item.get("relationshipName"),
    )


def parse_describe(answer: dict[str, Any]) -> SObjectDescribe:
    return SObjectDescribe(
        name=answer["name"],
        label=answer.get("label") or answer["name"],
        custom=bool(answer.get("custom")),
        fields=[parse_field(f) for f in answer.get("fields") or []],
    )
