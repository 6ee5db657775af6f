"""Tortoise models, one module per domain. Tortoise discovers them through this package."""

from server.models.integration import (
    EntitySetting,
    Integration,
    IntegrationState,
    MatchMethod,
    OAuthState,
    UserMatch,
)
from server.models.organization import ApiToken, Organization, Role
from server.models.sync import (
    Backup,
    BackupRecord,
    RecordLink,
    RunKind,
    RunStatus,
    StatCounter,
    SyncAction,
    SyncCursor,
    SyncLogEntry,
    SyncRun,
    SyncStatus,
)

__all__ = [
    "ApiToken",
    "Backup",
    "BackupRecord",
    "EntitySetting",
    "Integration",
    "IntegrationState",
    "MatchMethod",
    "OAuthState",
    "Organization",
    "RecordLink",
    "Role",
    "RunKind",
    "RunStatus",
    "StatCounter",
    "SyncAction",
    "SyncCursor",
    "SyncLogEntry",
    "SyncRun",
    "SyncStatus",
    "UserMatch",
]
