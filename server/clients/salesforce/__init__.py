"""Salesforce client over simple-salesforce. See docs/salesforce-client.md."""

from server.clients.salesforce.auth import authorize_url, exchange_code, login_password
from server.clients.salesforce.client import SalesforceClient
from server.clients.salesforce.soql import datetime_literal, parse_datetime
from server.clients.salesforce.types import (
    ApiUsage,
    CompositeRequest,
    CompositeResponse,
    DeletedResult,
    FieldInfo,
    OAuthApp,
    Page,
    SalesforceSession,
    SObjectDescribe,
    SObjectSummary,
    UpdatedResult,
)

__all__ = [
    "ApiUsage",
    "CompositeRequest",
    "CompositeResponse",
    "DeletedResult",
    "FieldInfo",
    "OAuthApp",
    "Page",
    "SObjectDescribe",
    "SObjectSummary",
    "SalesforceClient",
    "SalesforceSession",
    "UpdatedResult",
    "authorize_url",
    "datetime_literal",
    "exchange_code",
    "login_password",
    "parse_datetime",
]
