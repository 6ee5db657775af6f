"""Backups the initial replacement took of ForceManager data: list them, restore one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import strawberry

from server.backups import errors as backup_errors
from server.backups import service
from server.clients.errors import ApiError
from server.graphql import errors as e
from server.graphql.context import Info, org_id
from server.graphql.permissions import mutation, query
from server.integration.errors import ErrorCode, ServiceError
from server.models import Backup as BackupRow


@strawberry.type(description="ForceManager records removed by the initial replacement.")
class Backup:
    id: strawberry.ID
    resources: list[str] = strawberry.field(description="ForceManager resources it holds.")
    record_count: int
    complete: bool = strawberry.field(
        description="False while the initial sync is still copying; nothing is removed before."
    )
    created_at: datetime
    restored_at: datetime | None

    @classmethod
    def of(cls, row: BackupRow) -> Backup:
        return cls(
            id=strawberry.ID(str(row.id)),
            resources=list(row.resources or []),
            record_count=row.record_count,
            complete=row.complete,
            created_at=row.created_at,
            restored_at=row.restored_at,
        )


@strawberry.enum
class BackupRefusal(StrEnum):
    ALREADY_RESTORED = "ALREADY_RESTORED"
    INCOMPLETE = "INCOMPLETE"
    SYNC_RUNNING = "SYNC_RUNNING"


@strawberry.type(description="The backup cannot be restored now; `reason` says why.")
class BackupNotRestorable(e.UserError):
    reason: BackupRefusal


@strawberry.type(description="The backup's records were recreated in ForceManager.")
class BackupRestored:
    backup: Backup
    restored_records: int


RestoreBackupResult = Annotated[
    BackupRestored | BackupNotRestorable | e.NotFound | e.NotConnected | e.ExternalUnavailable,
    strawberry.union("RestoreBackupResult"),
]

_REFUSALS = {
    backup_errors.AlreadyRestored: BackupRefusal.ALREADY_RESTORED,
    backup_errors.BackupIncomplete: BackupRefusal.INCOMPLETE,
    backup_errors.SyncRunning: BackupRefusal.SYNC_RUNNING,
}


@strawberry.type
class BackupsQuery:
    @query(description="The organization's backups, newest first.")
    async def backups(self, info: Info) -> list[Backup]:
        return [Backup.of(row) for row in await service.list_backups(org_id(info))]


@strawberry.type
class BackupsMutation:
    @mutation(description="Recreate a backup's records in ForceManager (parents first).")
    async def restore_backup(self, info: Info, backup_id: strawberry.ID) -> RestoreBackupResult:
        org = org_id(info)
        try:
            wanted = int(backup_id)
        except ValueError:
            return e.NotFound(code=ErrorCode.NOT_FOUND, message=f"no backup {backup_id!r}")
        try:
            restored = await service.restore_with_stored_keys(org, wanted)
        except backup_errors.BackupNotFound as exc:
            return e.NotFound(code=ErrorCode.NOT_FOUND, message=exc.message)
        except backup_errors.BackupError as exc:
            return BackupNotRestorable(
                code=ErrorCode.WRONG_STATE, message=exc.message, reason=_REFUSALS[type(exc)]
            )
        except ServiceError as exc:
            return e.to_graphql(exc)
        except ApiError as exc:
            return e.ExternalUnavailable(
                code=ErrorCode.FORCEMANAGER_UNAVAILABLE,
                message=f"ForceManager did not accept the restore: {exc.code}",
            )
        row = await BackupRow.get(id=wanted)
        return BackupRestored(backup=Backup.of(row), restored_records=restored)
