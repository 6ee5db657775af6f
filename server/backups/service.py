"""Taking a backup of ForceManager records before the initial replacement removes them, and
putting them back.

Backing up and removing are two resumable passes: every record is stored (idempotently)
before any is deleted, and deletion works from the stored copy, so a crash at any point
loses nothing and a rerun repeats nothing harmful.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from server.backups.errors import AlreadyRestored, BackupIncomplete, BackupNotFound, SyncRunning
from server.clients.errors import PermanentError
from server.models import Backup, BackupRecord, RunStatus, SyncRun

if TYPE_CHECKING:
    from server.clients.forcemanager import ForceManagerClient

# Parents before children when restoring; the reverse when removing.
RESOURCE_ORDER = ["accounts", "products", "contacts", "opportunities", "activities"]
# Reference fields that point at records a restore recreates (their ids change).
REFERENCES = {
    "accountId": "accounts",
    "accountId1": "accounts",
    "accountId2": "accounts",
    "accountId3": "accounts",
    "contactId": "contacts",
    "opportunityId": "opportunities",
    "productId": "products",
}
# What ForceManager sets itself and refuses on writes.
SYSTEM_FIELDS = {
    "id", "dateCreated", "dateUpdated", "dateDeleted", "deleted", "salesRepIdCreated",
    "salesRepIdUpdated", "salesRepIdDeleted",
}
CHUNK = 200


def ordered(resources: list[str]) -> list[str]:
    known = [r for r in RESOURCE_ORDER if r in resources]
    return known + sorted(r for r in resources if r not in RESOURCE_ORDER)


async def start(org_id: int, run_id: int | None, resources: list[str]) -> Backup:
    return await Backup.create(
        organization_id=org_id, run_id=run_id, resources=ordered(list(dict.fromkeys(resources)))
    )


async def copy(fm: ForceManagerClient, backup: Backup) -> int:
    """Store every live record of the backup's resources, page by page. Safe to rerun."""
    for resource in backup.resources:
        async for page in fm.list(resource):
            rows = [
                BackupRecord(
                    backup_id=backup.id,
                    resource=resource,
                    forcemanager_id=int(record["id"]),
                    data=record,
                )
                for record in page
                if not record.get("deleted")
            ]
            if rows:
                await BackupRecord.bulk_create(rows, ignore_conflicts=True)
    count = await BackupRecord.filter(backup_id=backup.id).count()
    await Backup.filter(id=backup.id).update(record_count=count, complete=True)
    backup.record_count, backup.complete = count, True
    return count


async def remove(fm: ForceManagerClient, backup: Backup) -> None:
    """Delete from ForceManager what the backup holds, children first. Safe to rerun: a
    record already gone counts as removed."""
    if not backup.complete:
        raise BackupIncomplete(backup.id)
    for resource in reversed(backup.resources):
        after = 0
        while True:
            ids = await (
                BackupRecord.filter(
                    backup_id=backup.id, resource=resource, forcemanager_id__gt=after
                )
                .order_by("forcemanager_id")
                .limit(CHUNK)
                .values_list("forcemanager_id", flat=True)
            )
            if not ids:
                break
            results = await fm.bulk_delete(resource, list(ids))
            failed = [
                r for r in results if not r.success and r.error_code not in ("NOT_FOUND",)
            ]
            if failed:
                first = failed[0]
                raise PermanentError(
                    first.error_code or "DELETE_FAILED",
                    f"could not remove {resource} {first.id} from ForceManager: {first.message}",
                )
            after = ids[-1]


async def list_backups(org_id: int) -> list[Backup]:
    return await Backup.filter(organization_id=org_id).order_by("-created_at")


async def restore(fm: ForceManagerClient, org_id: int, backup_id: int) -> int:
    """Recreate the backed-up records in ForceManager (parents first, references remapped
    to the new ids). Returns how many were recreated."""
    backup = await Backup.get_or_none(id=backup_id, organization_id=org_id)
    if backup is None:
        raise BackupNotFound(backup_id)
    if backup.restored_at is not None:
        raise AlreadyRestored(backup_id)
    if not backup.complete:
        raise BackupIncomplete(backup_id)
    if await SyncRun.filter(organization_id=org_id, status=RunStatus.RUNNING).exists():
        raise SyncRunning()
    new_ids: dict[str, dict[int, int]] = {}
    restored = 0
    for resource in backup.resources:
        mapping = new_ids.setdefault(resource, {})
        after = 0
        while True:
            rows = await (
                BackupRecord.filter(
                    backup_id=backup.id, resource=resource, forcemanager_id__gt=after
                )
                .order_by("forcemanager_id")
                .limit(CHUNK)
            )
            if not rows:
                break
            payloads = [writable(row.data, new_ids) for row in rows]
            results = await fm.bulk_create(resource, payloads)
            for row, result in zip(rows, results, strict=True):
                if result.success and result.id is not None:
                    mapping[row.forcemanager_id] = int(result.id)
                    restored += 1
            after = rows[-1].forcemanager_id
    async with in_transaction():
        await Backup.filter(id=backup.id).update(restored_at=datetime.now(UTC))
    return restored


def writable(data: dict[str, Any], new_ids: dict[str, dict[int, int]]) -> dict[str, Any]:
    """A backed-up record as a create payload: no system fields, references as ids (the new
    id when the parent was recreated by this restore)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SYSTEM_FIELDS or value is None:
            continue
        if isinstance(value, dict):
            value = value.get("id")
            if value is None:
                continue
            target = REFERENCES.get(key)
            if target is not None:
                value = new_ids.get(target, {}).get(int(value), value)
        elif isinstance(value, list):
            value = [item.get("id", item) if isinstance(item, dict) else item for item in value]
        out[key] = value
    return out


async def restore_with_stored_keys(org_id: int, backup_id: int) -> int:
    """restore() with a client on the org's stored ForceManager keys (the CLI, the API)."""
    from server.integration.clients import forcemanager_client

    if await Backup.get_or_none(id=backup_id, organization_id=org_id) is None:
        raise BackupNotFound(backup_id)
    fm = await forcemanager_client(org_id)
    try:
        return await restore(fm, org_id, backup_id)
    finally:
        await fm.aclose()
