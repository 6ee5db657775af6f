"""Expected failures of the backup service, each with a stable code a client can switch on."""

from __future__ import annotations


class BackupError(Exception):
    code = "BACKUP_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BackupNotFound(BackupError):
    code = "NOT_FOUND"

    def __init__(self, backup_id: int) -> None:
        super().__init__(f"Backup {backup_id} does not exist in this organization")


class BackupIncomplete(BackupError):
    code = "BACKUP_INCOMPLETE"

    def __init__(self, backup_id: int) -> None:
        super().__init__(f"Backup {backup_id} was never completed; nothing was removed with it")


class AlreadyRestored(BackupError):
    code = "ALREADY_RESTORED"

    def __init__(self, backup_id: int) -> None:
        super().__init__(f"Backup {backup_id} has already been restored")


class SyncRunning(BackupError):
    code = "SYNC_RUNNING"

    def __init__(self) -> None:
        super().__init__("A sync is running for this organization; restore once it finishes")
