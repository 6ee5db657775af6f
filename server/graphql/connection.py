"""Connecting Salesforce: OAuth web-server flow and username/password."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated

import strawberry

from server.graphql import errors as e
from server.graphql.context import Info, org_id
from server.graphql.permissions import mutation
from server.graphql.types import SalesforceIntegration, load_integration
from server.integration import connection


@strawberry.type(
    description="Send the admin's browser to url; Salesforce redirects back to "
    "redirectUri with ?code=…&state=…, which completeSalesforceAuthorization takes."
)
class SalesforceAuthorization:
    url: str
    state: str
    expires_at: datetime


SalesforceAuthorizationUrlResult = Annotated[
    SalesforceAuthorization | e.WrongState | e.InvalidInput,
    strawberry.union("SalesforceAuthorizationUrlResult"),
]
ConnectSalesforceResult = Annotated[
    SalesforceIntegration
    | e.InvalidOAuthState
    | e.SalesforceAuthFailed
    | e.ExternalUnavailable
    | e.WrongState
    | e.InvalidInput,
    strawberry.union("ConnectSalesforceResult"),
]


async def _connected(info: Info, call: Awaitable[object]) -> SalesforceIntegration | e.UserError:
    done = await e.attempt(call)
    if isinstance(done, e.UserError):
        return done
    return await load_integration(org_id(info))


@strawberry.type
class ConnectionMutation:
    @mutation(description="Start the OAuth web-server flow (the state lives 10 minutes, once).")
    async def salesforce_authorization_url(
        self, info: Info, redirect_uri: str
    ) -> SalesforceAuthorizationUrlResult:
        done = await e.attempt(connection.authorization_url(org_id(info), redirect_uri))
        if isinstance(done, e.UserError):
            return done
        return SalesforceAuthorization(url=done.url, state=done.state, expires_at=done.expires_at)

    @mutation(description="Finish the OAuth flow with the code and state Salesforce sent back.")
    async def complete_salesforce_authorization(
        self, info: Info, code: str, state: str
    ) -> ConnectSalesforceResult:
        return await _connected(info, connection.complete_authorization(org_id(info), code, state))

    @mutation(
        description="Connect with a Salesforce username, password and security token (for "
        "scripts). domain: 'login' (default), 'test' (sandbox orgs) or a My Domain."
    )
    async def connect_salesforce_with_password(
        self,
        info: Info,
        username: str,
        password: str,
        security_token: str = "",
        domain: str | None = None,
    ) -> ConnectSalesforceResult:
        return await _connected(
            info,
            connection.connect_with_password(
                org_id(info), username, password, security_token, domain
            ),
        )
