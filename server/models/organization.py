from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    ADMIN = "ADMIN"
    VIEWER = "VIEWER"


class Organization(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    plan = fields.CharField(max_length=50)
    # ForceManager API key pair, Fernet-encrypted (server.crypto).
    forcemanager_public_key_enc = fields.TextField(null=True)
    forcemanager_private_key_enc = fields.TextField(null=True)
    # None = settings' FORCEMANAGER_BASE_URL (set per org for sandboxes and test tenants).
    forcemanager_base_url = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, max_length=10)
    token_hash = fields.CharField(max_length=64, unique=True)
    # The first characters of the token, so a person can tell tokens apart in a list.
    token_prefix = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
