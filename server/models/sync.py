"""What the sync engine keeps: runs, the per-record log, statistics, record links, cursors
and the backups taken before the initial replacement."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from server.entities import Flow


class RunKind(StrEnum):
    INITIAL = "INITIAL"
    INCREMENTAL = "INCREMENTAL"


class RunStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


class SyncAction(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


class SyncStatus(StrEnum):
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"


class SyncRun(Model):
    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="sync_runs", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(RunKind, max_length=20)
    trigger = fields.CharField(max_length=20, default="SCHEDULE")  # SCHEDULE | MANUAL
    status = fields.CharEnumField(RunStatus, max_length=20, default=RunStatus.RUNNING)
    reason = fields.TextField(null=True)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    salesforce_calls = fields.IntField(default=0)
    forcemanager_calls = fields.IntField(default=0)
    created = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    deleted = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    # Per entity: {"ACCOUNT": {"processed": n, "total": m}, ...}
    progress = fields.JSONField(default=dict)

    class Meta:
        table = "sync_run"
        indexes = (("organization_id", "started_at"),)


class SyncLogEntry(Model):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="sync_log", on_delete=fields.CASCADE
    )
    run = fields.ForeignKeyField(
        "models.SyncRun", related_name="log", null=True, on_delete=fields.SET_NULL
    )
    entity = fields.CharField(max_length=30)
    salesforce_id = fields.CharField(max_length=18, null=True)
    forcemanager_id = fields.BigIntField(null=True)
    record_name = fields.CharField(max_length=300, null=True)
    action = fields.CharEnumField(SyncAction, max_length=10)
    direction = fields.CharEnumField(Flow, max_length=30)
    status = fields.CharEnumField(SyncStatus, max_length=10)
    error_code = fields.CharField(max_length=100, null=True)
    error_message = fields.TextField(null=True)
    # Field-level conflicts this change resolved: {field: {"salesforce": v, "forcemanager": v}}
    conflicts = fields.JSONField(null=True)
    # True when the record's owner had no user match and went to the fallback user.
    owner_fallback = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sync_log_entry"
        indexes = (
            ("organization_id", "created_at"),
            ("organization_id", "entity", "created_at"),
            # The latest records of one org (ORDER BY id DESC LIMIT 100): without it the
            # database walks the primary key backwards past every other org's rows.
            ("organization_id", "id"),
        )


class StatCounter(Model):
    """Counts per org, entity, direction and hour, kept in step with the log so that
    statistics over any period are a sum over a few rows instead of a scan of the log."""

    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="stat_counters", on_delete=fields.CASCADE
    )
    entity = fields.CharField(max_length=30)
    direction = fields.CharEnumField(Flow, max_length=30)
    hour = fields.DatetimeField()
    created = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    deleted = fields.IntField(default=0)
    failed = fields.IntField(default=0)

    class Meta:
        table = "stat_counter"
        unique_together = (("organization", "entity", "direction", "hour"),)


class RecordLink(Model):
    """A Salesforce record and its ForceManager twin, with the values last synced between
    them: the base of the three-way merge and of echo suppression."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="record_links", on_delete=fields.CASCADE
    )
    entity = fields.CharField(max_length=30)
    salesforce_id = fields.CharField(max_length=18)
    forcemanager_id = fields.BigIntField(null=True)
    # Canonical field values as last written to / read from both sides.
    synced_values = fields.JSONField(default=dict)
    salesforce_modstamp = fields.DatetimeField(null=True)
    forcemanager_updated = fields.DatetimeField(null=True)
    deleted = fields.BooleanField(default=False)
    owner_fallback = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "record_link"
        unique_together = (("organization", "entity", "salesforce_id"),)
        indexes = (("organization_id", "entity", "forcemanager_id"),)


class SyncCursor(Model):
    """Where the next incremental read of one entity on one side starts."""

    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="sync_cursors", on_delete=fields.CASCADE
    )
    entity = fields.CharField(max_length=30)
    side = fields.CharField(max_length=20)  # SALESFORCE | FORCEMANAGER
    value = fields.TextField(null=True)
    # Engine bookkeeping for this entity and side (initial-load checkpoint, getDeleted window).
    state = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sync_cursor"
        unique_together = (("organization", "entity", "side"),)


class Backup(Model):
    """The ForceManager records removed by the initial replacement, restorable."""

    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="backups", on_delete=fields.CASCADE
    )
    run = fields.ForeignKeyField(
        "models.SyncRun", related_name="backups", null=True, on_delete=fields.SET_NULL
    )
    resources = fields.JSONField(default=list)
    record_count = fields.IntField(default=0)
    complete = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    restored_at = fields.DatetimeField(null=True)

    class Meta:
        table = "backup"


class BackupRecord(Model):
    id = fields.BigIntField(primary_key=True)
    backup = fields.ForeignKeyField(
        "models.Backup", related_name="records", on_delete=fields.CASCADE
    )
    resource = fields.CharField(max_length=50)
    forcemanager_id = fields.BigIntField()
    data = fields.JSONField()

    class Meta:
        table = "backup_record"
        unique_together = (("backup", "resource", "forcemanager_id"),)
