"""Drive the real ASGI app over HTTP (httpx ASGITransport) on the `db` fixture's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
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
    """A GraphQL client bound to one token. Keeps every answer it got (`seen`), so tests
    can check that no secret ever appears in one."""

    http: httpx.AsyncClient
    token: str | None
    org_id: int | None = None
    seen: list[str] = field(default_factory=list)

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        self.seen.append(response.text)
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer's data; fails the test on any GraphQL error."""
        body = await self.post(query, variables)
        assert "errors" not in body, body
        return body["data"]

    def as_token(self, token: str | None) -> Api:
        return Api(self.http, token, self.org_id, self.seen)


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


@pytest.fixture
def sandboxes(
    database_url: str,
    salesforce_sandbox: Any,
    forcemanager_sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Any, Any]:
    """Both sandboxes running, and the settings' Salesforce connected app pointing at ours."""
    from server.config import get_settings

    monkeypatch.setenv("SALESFORCE_LOGIN_URL", salesforce_sandbox.url)
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", salesforce_sandbox.client_id)
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", salesforce_sandbox.client_secret)
    monkeypatch.setenv("SALESFORCE_CA_BUNDLE", str(salesforce_sandbox.ca_cert))
    monkeypatch.setenv("SALESFORCE_API_VERSION", salesforce_sandbox.api_version)
    # The sandbox does not limit by default; pacing is the client's own tests' business.
    monkeypatch.setenv("FORCEMANAGER_RATE_LIMIT", "1000")
    # requests lets these override a session's own `verify` (the sandbox's CA).
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    get_settings.cache_clear()
    return salesforce_sandbox, forcemanager_sandbox


async def org_with_keys(http: httpx.AsyncClient, fm: Any, name: str = "Acme") -> Api:
    return await new_org(
        http,
        name,
        forcemanager_public_key=fm.public_key,
        forcemanager_private_key=fm.private_key,
        forcemanager_base_url=fm.url,
    )


PASSWORD_CONNECT = """mutation($u: String!, $p: String!, $t: String!) {
  connectSalesforceWithPassword(username: $u, password: $p, securityToken: $t) {
    __typename
    ... on SalesforceIntegration { state connection { authMethod instanceUrl username
                                                       salesforceOrgId salesforceUserId } }
    ... on UserError { code message }
    ... on SalesforceAuthFailed { reason }
  }
}"""


async def connect_with_password(api: Api, sf: Any, password: str | None = None) -> dict:
    variables = {"u": sf.username, "p": password or sf.password, "t": sf.security_token}
    return (await api.data(PASSWORD_CONNECT, variables))["connectSalesforceWithPassword"]


async def enable(api: Api) -> dict:
    body = await api.data(
        "mutation { enableSalesforceIntegration(acknowledgeDataReplacement: true) "
        "{ ... on SalesforceIntegration { state } } }"
    )
    return body["enableSalesforceIntegration"]


async def connected_org(http: httpx.AsyncClient, sf: Any, fm: Any, name: str = "Acme") -> Api:
    """An org with ForceManager keys, enabled and connected to Salesforce (password flow)."""
    api = await org_with_keys(http, fm, name)
    await enable(api)
    answer = await connect_with_password(api, sf)
    assert answer["state"] == "CONNECTED", answer
    return api


__all__ = ["Api", "Role", "new_org", "viewer_of"]
