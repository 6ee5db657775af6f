from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from server.entities import Direction


class IntegrationState(StrEnum):
    DISABLED = "DISABLED"
    ENABLED = "ENABLED"  # acknowledged, not yet connected to Salesforce
    CONNECTED = "CONNECTED"  # connected, being configured; no sync yet
    INITIAL_SYNC = "INITIAL_SYNC"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ERROR = "ERROR"


class MatchMethod(StrEnum):
    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"


class Integration(Model):
    id = fields.IntField(primary_key=True)
    organization = fields.OneToOneField(
        "models.Organization", related_name="integration", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(IntegrationState, max_length=20, default=IntegrationState.DISABLED)
    error_reason = fields.TextField(null=True)
    acknowledged_at = fields.DatetimeField(null=True)
    acknowledged_by = fields.CharField(max_length=200, null=True)

    # Salesforce connection. Tokens and passwords are Fernet-encrypted (server.crypto).
    # OAUTH | PASSWORD | SESSION
    salesforce_auth_method = fields.CharField(max_length=20, null=True)
    salesforce_instance_url = fields.CharField(max_length=500, null=True)
    salesforce_username = fields.CharField(max_length=200, null=True)
    salesforce_org_id = fields.CharField(max_length=18, null=True)
    salesforce_user_id = fields.CharField(max_length=18, null=True)
    salesforce_access_token_enc = fields.TextField(null=True)
    salesforce_refresh_token_enc = fields.TextField(null=True)
    # Password flow only: kept so the worker can log in again when the session expires.
    salesforce_password_enc = fields.TextField(null=True)
    salesforce_security_token_enc = fields.TextField(null=True)
    salesforce_domain = fields.CharField(max_length=200, null=True)
    salesforce_connected_at = fields.DatetimeField(null=True)

    fallback_forcemanager_user_id = fields.IntField(null=True)
    # Seconds into each sync window at which this org's tick fires (spreads orgs over the window).
    schedule_offset_seconds = fields.IntField(default=0)
    interval_minutes = fields.IntField(default=15)
    next_run_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "integration"


class OAuthState(Model):
    """A pending OAuth web-server flow: the state is single-use and short-lived."""

    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="oauth_states", on_delete=fields.CASCADE
    )
    state_hash = fields.CharField(max_length=64, unique=True)
    redirect_uri = fields.CharField(max_length=1000)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "oauth_state"


class EntitySetting(Model):
    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="entity_settings", on_delete=fields.CASCADE
    )
    entity = fields.CharField(max_length=30)  # server.entities.Entity
    enabled = fields.BooleanField(default=False)
    direction = fields.CharEnumField(
        Direction, max_length=30, default=Direction.SALESFORCE_TO_FORCEMANAGER
    )

    class Meta:
        table = "entity_setting"
        unique_together = (("organization", "entity"),)


class UserMatch(Model):
    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="user_matches", on_delete=fields.CASCADE
    )
    forcemanager_user_id = fields.IntField()
    salesforce_user_id = fields.CharField(max_length=18)
    method = fields.CharEnumField(MatchMethod, max_length=10)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_match"
        unique_together = (
            ("organization", "forcemanager_user_id"),
            ("organization", "salesforce_user_id"),
        )
