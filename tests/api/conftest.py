"""Drive the real ASGI app over HTTP (httpx ASGITransport) on the `db` fixture's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from server.app import create_app
from server.models import Role
from server.organizations.service import create_organization


@dataclass
class Api:
    """A GraphQL client bound to one token."""

    http: httpx.AsyncClient
    token: str | None
    org_id: int | None = None

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer's data; fails the test on any GraphQL error."""
        body = await self.post(query, variables)
        assert "errors" not in body, body
        return body["data"]

    def as_token(self, token: str | None) -> Api:
        return Api(self.http, token, self.org_id)


@pytest.fixture
async def app(db: str, redis: Redis, redis_prefix: str) -> AsyncIterator[Starlette]:
    app = create_app(manage_db=False)
    async with app.router.lifespan_context(app):
        yield app
    # arq's job keys are global (arq:job:<id>); ours carry the test's prefix.
    keys = [k async for k in redis.scan_iter(match=f"arq:*{redis_prefix}*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def new_org(
    http: httpx.AsyncClient, name: str = "Acme", plan: str = "business", **keys: str | None
) -> Api:
    org, token = await create_organization(name, plan, **keys)
    return Api(http, token, org.id)


async def viewer_of(api: Api) -> Api:
    body = await api.data(
        'mutation { createApiToken(name: "viewer", role: VIEWER) '
        "{ ... on CreatedApiToken { token } } }"
    )
    return api.as_token(body["createApiToken"]["token"])


@pytest.fixture
async def admin(http: httpx.AsyncClient) -> Api:
    """An ADMIN of an org on the business plan, without ForceManager keys."""
    return await new_org(http)


__all__ = ["Api", "Role", "new_org", "viewer_of"]
