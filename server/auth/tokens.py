"""Issue, check and revoke API tokens. The plain token exists only in the answer that
creates it; the database keeps its SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.crypto import TOKEN_PREFIX, hash_token, new_api_token
from server.integration.errors import InvalidInput, NotFound
from server.integration.schedule import utcnow
from server.models import ApiToken, Role

# Writing last_used_at on every request would turn each read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    org_id: int
    role: Role
    token_id: int
    token_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


async def authenticate(token: str | None) -> Caller | None:
    """The caller a bearer token stands for, or None when it is missing, unknown or revoked."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = await ApiToken.get_or_none(token_hash=hash_token(token), revoked_at=None)
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        await ApiToken.filter(id=row.id).update(last_used_at=now)
    return Caller(
        org_id=row.organization_id, role=Role(row.role), token_id=row.id, token_name=row.name
    )


async def create_token(org_id: int, name: str, role: Role) -> tuple[ApiToken, str]:
    """A new token; returns the row and the plain token, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("A token needs a name of 1 to 200 characters.")
    plain = new_api_token()
    row = await ApiToken.create(
        organization_id=org_id,
        name=name,
        role=role,
        token_hash=hash_token(plain),
        token_prefix=plain[: len(TOKEN_PREFIX) + 6],
    )
    return row, plain


async def list_tokens(org_id: int) -> list[ApiToken]:
    return await ApiToken.filter(organization_id=org_id).order_by("id")


async def revoke_token(org_id: int, token_id: int) -> ApiToken:
    """Revoke one of the org's tokens. Another org's token is "not found", like a missing one."""
    row = await ApiToken.get_or_none(id=token_id, organization_id=org_id)
    if row is None:
        raise NotFound("API token", token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await row.save(update_fields=["revoked_at"])
    return row
