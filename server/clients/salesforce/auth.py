"""Getting and renewing a Salesforce session: OAuth 2.0 web-server flow and SOAP login.

simple-salesforce's login helpers hard-code https://{domain}.salesforce.com, so these calls
are made here, against the configured login URL, with the client's own `requests` session
(timeout, CA bundle).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

import requests

from server.clients.errors import AuthError, TransientError
from server.clients.salesforce.classify import TRANSIENT_CODES
from server.clients.salesforce.retry import run_blocking
from server.clients.salesforce.transport import make_http_session
from server.clients.salesforce.types import OAuthApp, SalesforceSession

DEFAULT_SCOPE = "api refresh_token"

_SOAP_LOGIN = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:urn="urn:partner.soap.sforce.com">
  <env:Header>
    <urn:CallOptions><urn:client>fm-salesforce-sync</urn:client></urn:CallOptions>
  </env:Header>
  <env:Body>
    <n1:login xmlns:n1="urn:partner.soap.sforce.com">
      <n1:username>{username}</n1:username>
      <n1:password>{password}</n1:password>
    </n1:login>
  </env:Body>
</env:Envelope>"""


def authorize_url(
    app: OAuthApp, redirect_uri: str, state: str, *, scope: str = DEFAULT_SCOPE
) -> str:
    """Where to send the admin to grant access; Salesforce comes back to `redirect_uri`
    with `code` and the same `state` (check it: it ties the answer to this request)."""
    if not state:
        raise ValueError("state is required: it protects the OAuth callback against forgery")
    if not redirect_uri:
        raise ValueError("redirect_uri is required")
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": scope,
        }
    )
    return f"{_base(app.login_url)}/services/oauth2/authorize?{query}"


async def exchange_code(
    app: OAuthApp, code: str, redirect_uri: str, *, request_timeout: float = 30.0
) -> SalesforceSession:
    """Trade the authorization code for tokens. AuthError when Salesforce refuses it."""
    if not code:
        raise ValueError("code is required")
    http = make_http_session(timeout=request_timeout, ca_bundle=app.ca_bundle)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": redirect_uri,
    }
    try:
        # A code is good for one exchange: a blind retry after a lost answer could only
        # be refused, so transient failures go straight back to the person.
        return await run_blocking(
            lambda: token_request(http, app, data, "the authorization code"),
            max_retries=0,
            backoff_base=0,
        )
    finally:
        http.close()


async def login_password(
    app: OAuthApp,
    username: str,
    password: str,
    security_token: str,
    domain: str | None = None,
    *,
    api_version: str = "59.0",
    request_timeout: float = 30.0,
    max_retries: int = 2,
    backoff_base: float = 0.5,
) -> SalesforceSession:
    """SOAP login with username, password and security token.

    `domain` overrides the app's login URL: a full URL, or a Salesforce domain such as
    "test" or "mycompany.my" (as in simple-salesforce).
    """
    if not username or not password:
        raise ValueError("username and password are required")
    login_url = login_url_for(app, domain)
    http = make_http_session(timeout=request_timeout, ca_bundle=app.ca_bundle)
    try:
        return await run_blocking(
            lambda: soap_login(http, login_url, username, password, security_token, api_version),
            max_retries=max_retries,
            backoff_base=backoff_base,
        )
    finally:
        http.close()


def token_request(
    http: requests.Session, app: OAuthApp, data: dict[str, str], what: str
) -> SalesforceSession:
    """POST /services/oauth2/token; blocking. `what` names the grant in error messages."""
    response = http.post(f"{_base(app.login_url)}/services/oauth2/token", data=data)
    body = _json_or_none(response)
    if response.status_code >= 500 or body is None:
        raise TransientError(
            f"HTTP_{response.status_code}",
            f"Salesforce's token endpoint answered HTTP {response.status_code}",
            response.status_code,
        )
    if response.status_code != 200:
        error = str(body.get("error") or f"HTTP_{response.status_code}")
        description = body.get("error_description") or "no reason given"
        action = (
            "check the connected app's client id and secret"
            if error in ("invalid_client", "invalid_client_id")
            else "reconnect Salesforce"
        )
        raise AuthError(
            error,
            f"Salesforce refused {what} ({error}: {description}); {action}",
            response.status_code,
        )
    ids = _identity_ids(body.get("id"))
    return SalesforceSession(
        instance_url=body["instance_url"],
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or data.get("refresh_token"),
        org_id=ids[0],
        user_id=ids[1],
    )


def refresh_session(
    http: requests.Session, app: OAuthApp, session: SalesforceSession
) -> SalesforceSession:
    """A new access token from the refresh token; blocking. Keeps what the answer omits."""
    if not session.refresh_token:
        raise AuthError(
            "NO_REFRESH_TOKEN",
            "The Salesforce session expired and there is no refresh token; reconnect Salesforce",
        )
    fresh = token_request(
        http,
        app,
        {
            "grant_type": "refresh_token",
            "refresh_token": session.refresh_token,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
        "the refresh token",
    )
    fresh.user_id = fresh.user_id or session.user_id
    fresh.org_id = fresh.org_id or session.org_id
    fresh.username = session.username
    return fresh


def soap_login(
    http: requests.Session,
    login_url: str,
    username: str,
    password: str,
    security_token: str,
    api_version: str,
) -> SalesforceSession:
    """POST /services/Soap/u/{version} (partner API login); blocking."""
    body = _SOAP_LOGIN.format(
        username=escape(username), password=escape(password + (security_token or ""))
    )
    response = http.post(
        f"{_base(login_url)}/services/Soap/u/{api_version}",
        data=body.encode(),
        headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"},
    )
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        root = None
    if response.status_code != 200 or root is None:
        code, message = _soap_fault(root)
        if root is None or code is None or code in TRANSIENT_CODES:
            raise TransientError(
                code or f"HTTP_{response.status_code}",
                message or f"Salesforce's login endpoint answered HTTP {response.status_code}",
                response.status_code,
            )
        raise AuthError(
            code,
            f"Salesforce refused the login ({code}: {message}); "
            "check the username, password and security token",
            response.status_code,
        )
    values = {_local(el.tag): (el.text or "") for el in root.iter()}
    if not values.get("sessionId") or not values.get("serverUrl"):
        raise TransientError("BAD_RESPONSE", "Salesforce's login answer has no session")
    server = urlsplit(values["serverUrl"])
    return SalesforceSession(
        instance_url=f"{server.scheme}://{server.netloc}",
        access_token=values["sessionId"],
        user_id=values.get("userId") or None,
        org_id=values.get("organizationId") or None,
        username=values.get("userName") or username,
    )


def _soap_fault(root: ET.Element | None) -> tuple[str | None, str | None]:
    if root is None:
        return None, None
    values = {_local(el.tag): (el.text or "").strip() for el in root.iter()}
    code = values.get("exceptionCode") or values.get("faultcode")
    if code and ":" in code:
        code = code.split(":", 1)[1]
    message = values.get("exceptionMessage") or values.get("faultstring")
    if message and code and message.startswith(f"{code}: "):
        message = message[len(code) + 2 :]
    return code or None, message or None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _identity_ids(identity_url: str | None) -> tuple[str | None, str | None]:
    """(org id, user id) from an identity URL such as https://login…/id/00D…/005…"""
    if not identity_url:
        return None, None
    parts = urlsplit(identity_url).path.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "id":
        return parts[-2], parts[-1]
    return None, None


def _json_or_none(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def login_url_for(app: OAuthApp, domain: str | None) -> str:
    """Where to log in: the app's login URL, unless a domain (URL or name) overrides it."""
    if not domain:
        return app.login_url
    if "://" in domain:
        return domain
    return f"https://{domain}.salesforce.com"


def _base(url: str) -> str:
    return url.rstrip("/")
