"""API tokens of the caller's org."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from server.auth import tokens
from server.graphql import errors as e
from server.graphql.context import Info, org_id
from server.graphql.permissions import mutation, query
from server.models import ApiToken as ApiTokenRow
from server.models import Role


@strawberry.type
class ApiToken:
    id: int
    name: str
    role: Role
    prefix: str = strawberry.field(description="The token's first characters, to tell it apart.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, row: ApiTokenRow) -> ApiToken:
        return cls(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            prefix=row.token_prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type
class CreatedApiToken:
    token: str = strawberry.field(description="The secret. Shown only in this answer.")
    api_token: ApiToken


CreateApiTokenResult = Annotated[
    CreatedApiToken | e.InvalidInput, strawberry.union("CreateApiTokenResult")
]
RevokeApiTokenResult = Annotated[ApiToken | e.NotFound, strawberry.union("RevokeApiTokenResult")]


@strawberry.type
class TokensQuery:
    @query(description="The org's API tokens (never their secrets).")
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        return [ApiToken.from_model(t) for t in await tokens.list_tokens(org_id(info))]


@strawberry.type
class TokensMutation:
    @mutation(description="A new token for this org; the secret is shown once.")
    async def create_api_token(self, info: Info, name: str, role: Role) -> CreateApiTokenResult:
        done = await e.attempt(tokens.create_token(org_id(info), name, role))
        if isinstance(done, e.UserError):
            return done
        row, plain = done
        return CreatedApiToken(token=plain, api_token=ApiToken.from_model(row))

    @mutation(description="Revoke a token of this org; it stops working at once.")
    async def revoke_api_token(self, info: Info, id: int) -> RevokeApiTokenResult:
        done = await e.attempt(tokens.revoke_token(org_id(info), id))
        return done if isinstance(done, e.UserError) else ApiToken.from_model(done)
