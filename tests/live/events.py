"""Record and progress events shaped as the sync engine publishes them (docs/CONTRACTS.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from server import events


def record(n: int, *, entity: str = "ACCOUNT", status: str = "SUCCESS") -> dict[str, Any]:
    error = status == "ERROR"
    return {
        "id": n,
        "entity": entity,
        "salesforceId": f"001000000000{n:03d}AAA",
        "forcemanagerId": 1000 + n,
        "recordName": f"Record {n}",
        "action": "UPDATED",
        "direction": "SALESFORCE_TO_FORCEMANAGER" if n % 2 else "FORCEMANAGER_TO_SALESFORCE",
        "status": status,
        "errorCode": "DUPLICATE_VALUE" if error else None,
        "errorMessage": "duplicate value found" if error else None,
        "ownerFallback": False,
        "runId": 7,
        "at": datetime.now(UTC).isoformat(),
    }


async def publish_records(
    redis: Redis, org_id: int, numbers: range | list[int], **kwargs: Any
) -> list[str]:
    return [await events.publish_record(redis, org_id, record(n, **kwargs)) for n in numbers]


def progress(kind: str, run_id: int = 7, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "runId": run_id, "kind": "INITIAL", **fields,
            "at": datetime.now(UTC).isoformat()}
