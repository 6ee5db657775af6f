"""API clients built from an org's stored (encrypted) credentials, for the services and the
sync engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.config import get_settings
from server.crypto import decrypt, encrypt
from server.integration.errors import NotConnected
from server.models import Integration, Organization

if TYPE_CHECKING:
    from server.clients.forcemanager import ForceManagerClient
    from server.clients.salesforce import OAuthApp, SalesforceClient, SalesforceSession


def oauth_app() -> OAuthApp:
    from server.clients.salesforce import OAuthApp

    settings = get_settings()
    return OAuthApp(
        login_url=settings.salesforce_login_url,
        client_id=settings.salesforce_client_id,
        client_secret=settings.salesforce_client_secret,
        ca_bundle=settings.salesforce_ca_bundle or None,
    )


def stored_session(integration: Integration) -> SalesforceSession:
    from server.clients.salesforce import SalesforceSession

    if not integration.salesforce_access_token_enc or not integration.salesforce_instance_url:
        raise NotConnected("Salesforce")
    return SalesforceSession(
        instance_url=integration.salesforce_instance_url,
        access_token=decrypt(integration.salesforce_access_token_enc) or "",
        refresh_token=decrypt(integration.salesforce_refresh_token_enc),
        user_id=integration.salesforce_user_id,
        org_id=integration.salesforce_org_id,
        username=integration.salesforce_username,
    )


async def salesforce_client(org_id: int) -> SalesforceClient:
    """A client on the org's stored Salesforce session. NotConnected when there is none."""
    from server.clients.salesforce import SalesforceClient

    integration = await Integration.get_or_none(organization_id=org_id)
    if integration is None:
        raise NotConnected("Salesforce")
    session = stored_session(integration)
    integration_id = integration.id

    async def store_refreshed(new: SalesforceSession) -> None:
        await Integration.filter(id=integration_id).update(
            salesforce_access_token_enc=encrypt(new.access_token),
            salesforce_instance_url=new.instance_url,
        )

    password_login = None
    if integration.salesforce_auth_method == "PASSWORD" and integration.salesforce_password_enc:
        password_login: tuple[str, ...] = (
            integration.salesforce_username or "",
            decrypt(integration.salesforce_password_enc) or "",
            decrypt(integration.salesforce_security_token_enc) or "",
        )
        if integration.salesforce_domain:
            password_login += (integration.salesforce_domain,)
    return SalesforceClient(
        session,
        oauth_app(),
        api_version=get_settings().salesforce_api_version,
        on_session_refreshed=store_refreshed,
        password_login=password_login,
    )


async def forcemanager_client(org_id: int) -> ForceManagerClient:
    """A client on the org's ForceManager API keys. NotConnected when they are missing."""
    from server.clients.forcemanager import ForceManagerClient

    org = await Organization.get_or_none(id=org_id)
    if org is None or not org.forcemanager_public_key_enc or not org.forcemanager_private_key_enc:
        raise NotConnected("ForceManager")
    settings = get_settings()
    return ForceManagerClient(
        org.forcemanager_base_url or settings.forcemanager_base_url,
        decrypt(org.forcemanager_public_key_enc) or "",
        decrypt(org.forcemanager_private_key_enc) or "",
        rate_limit=settings.forcemanager_rate_limit,
    )
