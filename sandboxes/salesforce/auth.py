"""Logging in: the OAuth 2.0 web-server, refresh and password flows, revoke, identity, and the
SOAP login simple-salesforce uses for username + password + security token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from sandboxes.salesforce.state import SandboxState

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
USERNAME = "admin@sandbox.example.com"
PASSWORD = "sandbox-password"
SECURITY_TOKEN = "SANDBOXTOKEN"
CODE_SECONDS = 900


def base_url(request: Request) -> str:
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}"


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status)


def _user_row(state: SandboxState, user_id: str) -> dict[str, Any]:
    table = state.store.table("User")
    return table.as_dict(table.rows[user_id])


def _find_user(state: SandboxState, username: str) -> str | None:
    table = state.store.table("User")
    pos = table.sobject.positions
    for row in table.rows.values():
        if row[pos["Username"]].lower() == username.strip().lower() and row[pos["IsActive"]]:
            return row[pos["Id"]]
    return None


def _check_password(state: SandboxState, username: str, password: str) -> str | None:
    """The admin logs in with password + security token appended, as Salesforce wants from
    untrusted IP addresses; the sandbox trusts no address."""
    user_id = _find_user(state, username)
    if user_id != state.store.admin_user_id or not hmac.compare_digest(
        password.encode(), (PASSWORD + SECURITY_TOKEN).encode()
    ):
        return None
    return user_id


def _token_answer(state: SandboxState, request: Request, user_id: str,
                  refresh_token: str | None, include_refresh: bool) -> dict[str, Any]:
    base = base_url(request)
    session = state.new_session(user_id, refresh_token)
    identity = f"{base}/id/{state.store.org_id}/{user_id}"
    issued_at = str(int(time.time() * 1000))
    signature = base64.b64encode(
        hmac.new(CLIENT_SECRET.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    ).decode()
    answer = {
        "access_token": session.token,
        "instance_url": base,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": signature,
        "scope": "api refresh_token",
    }
    if include_refresh and refresh_token:
        answer["refresh_token"] = refresh_token
    return answer


async def authorize(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.counters["authorize"] += 1
    params = request.query_params
    redirect_uri = params.get("redirect_uri", "")
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        return _error_page("redirect_uri must be an absolute http(s) URL")
    if params.get("client_id") != CLIENT_ID:
        return _redirect(redirect_uri, error="invalid_client_id",
                         error_description="client identifier invalid", state=params.get("state"))
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, error="unsupported_response_type",
                         error_description="response type not supported",
                         state=params.get("state"))
    if state.faults.deny_authorization:
        state.faults.deny_authorization = False
        return _redirect(redirect_uri, error="access_denied",
                         error_description="end-user denied authorization",
                         state=params.get("state"))
    code = "aPrx" + secrets.token_urlsafe(32)
    state.codes[code] = (CLIENT_ID, redirect_uri, time.monotonic() + CODE_SECONDS)
    # The sandbox's admin approves at once: the browser goes straight back with the code.
    return _redirect(redirect_uri, code=code, state=params.get("state"))


def _redirect(uri: str, **params: str | None) -> RedirectResponse:
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)


def _error_page(message: str) -> Response:
    body = f"<html><body><h1>OAuth error</h1><p>{html.escape(message)}</p></body></html>"
    return Response(body, 400, media_type="text/html")


async def token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.counters["token"] += 1
    form = await _form(request)
    grant = form.get("grant_type", "")
    if grant not in ("authorization_code", "refresh_token", "password"):
        return oauth_error("unsupported_grant_type", "grant type not supported")
    if form.get("client_id") != CLIENT_ID:
        return oauth_error("invalid_client_id", "client identifier invalid")
    secret = form.get("client_secret")
    if (secret is not None or grant != "refresh_token") and secret != CLIENT_SECRET:
        return oauth_error("invalid_client", "invalid client credentials")
    if grant == "authorization_code":
        entry = state.codes.pop(form.get("code", ""), None)
        if entry is None or entry[2] < time.monotonic():
            return oauth_error("invalid_grant", "invalid authorization code")
        if form.get("redirect_uri") != entry[1]:
            return oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
        refresh = "5Aep" + secrets.token_urlsafe(48)
        state.refresh_tokens[refresh] = state.store.admin_user_id
        answer = _token_answer(state, request, state.store.admin_user_id, refresh, True)
    elif grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        user_id = state.refresh_tokens.get(refresh)
        if user_id is None:
            return oauth_error("invalid_grant", "expired access/refresh token")
        answer = _token_answer(state, request, user_id, refresh, False)
    else:
        user_id = _check_password(state, form.get("username", ""), form.get("password", ""))
        if user_id is None:
            return oauth_error("invalid_grant", "authentication failure")
        answer = _token_answer(state, request, user_id, None, False)
    return JSONResponse(answer, headers={"Cache-Control": "no-cache,must-revalidate"})


async def _form(request: Request) -> dict[str, str]:
    """Form fields from the body, or from the query string as Salesforce also accepts."""
    body = (await request.body()).decode("utf-8", "replace")
    fields = {k: v[0] for k, v in parse_qs(request.url.query).items()}
    fields.update({k: v[0] for k, v in parse_qs(body).items()})
    return fields


async def revoke(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.counters["revoke"] += 1
    form = await _form(request)
    if not state.revoke(form.get("token", "")):
        return oauth_error("invalid_token", "invalid token")
    return Response(status_code=200)


def _bearer_user(state: SandboxState, request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() not in ("bearer", "oauth"):
        return None
    session = state.session(value.strip())
    return session.user_id if session else None


async def identity(request: Request) -> Response:
    """The identity URL given as `id` in token answers, and /services/oauth2/userinfo."""
    state: SandboxState = request.app.state.sandbox
    state.counters["identity"] += 1
    user_id = _bearer_user(state, request)
    if user_id is None:
        return Response("Bad_OAuth_Token", 403, media_type="text/plain")
    wanted = request.path_params.get("user_id")
    if wanted is not None and (wanted != user_id or
                               request.path_params.get("org_id") != state.store.org_id):
        return Response("Bad_Id", 403, media_type="text/plain")
    user = _user_row(state, user_id)
    base = base_url(request)
    org = state.store.org_id
    urls = {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org[:15]}",
        "metadata": f"{base}/services/Soap/m/{{version}}/{org[:15]}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org[:15]}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "search": f"{base}/services/data/v{{version}}/search/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "recent": f"{base}/services/data/v{{version}}/recent/",
        "profile": f"{base}/{user_id}",
        "users": f"{base}/services/data/v{{version}}/chatter/users",
    }
    common = {
        "user_id": user_id,
        "organization_id": org,
        "email": user["Email"],
        "email_verified": True,
        "active": user["IsActive"],
        "user_type": "STANDARD",
        "language": user["LanguageLocaleKey"],
        "locale": "en_US",
        "utcOffset": 0,
        "urls": urls,
        "is_app_installed": True,
    }
    if wanted is None:  # userinfo (OpenID Connect names)
        answer = {
            "sub": f"{base}/id/{org}/{user_id}",
            "preferred_username": user["Username"],
            "nickname": user["Alias"],
            "name": user["Name"],
            "given_name": user["FirstName"],
            "family_name": user["LastName"],
            "zoneinfo": user["TimeZoneSidKey"],
            "updated_at": user["LastModifiedDate"],
            **common,
        }
    else:
        answer = {
            "id": f"{base}/id/{org}/{user_id}",
            "asserted_user": True,
            "username": user["Username"],
            "nick_name": user["Alias"],
            "display_name": user["Name"],
            "first_name": user["FirstName"],
            "last_name": user["LastName"],
            "timezone": user["TimeZoneSidKey"],
            "status": {"created_date": None, "body": None},
            "last_modified_date": user["LastModifiedDate"],
            **common,
        }
    return JSONResponse(answer)


_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


async def soap_login(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.counters["login"] += 1
    version = request.path_params["version"]
    body = await request.body()
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return _soap_fault("soapenv:Client", "UNKNOWN_EXCEPTION",
                           "Unable to parse the SOAP request: it is not well-formed XML")
    username = _xml_text(root, "username")
    password = _xml_text(root, "password")
    if username is None or password is None:
        return _soap_fault("soapenv:Client", "UNKNOWN_EXCEPTION",
                           "Element {urn:partner.soap.sforce.com}login invalid at this location")
    user_id = _check_password(state, username, password)
    if user_id is None:
        return _soap_fault(
            "sf:INVALID_LOGIN", "INVALID_LOGIN",
            "Invalid username, password, security token; or user locked out.",
        )
    session = state.new_session(user_id)
    user = _user_row(state, user_id)
    base = base_url(request)
    org = state.store.org_id
    e = html.escape
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><loginResponse><result>"
        f"<metadataServerUrl>{base}/services/Soap/m/{e(version)}/{org[:15]}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{base}/services/Soap/u/{e(version)}/{org[:15]}</serverUrl>"
        f"<sessionId>{e(session.token)}</sessionId><userId>{user_id}</userId>"
        "<userInfo><accessibilityMode>false</accessibilityMode>"
        "<currencySymbol>€</currencySymbol><orgAttachmentFileSizeLimit>5242880"
        "</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>EUR"
        "</orgDefaultCurrencyIsoCode><orgDisallowHtmlAttachments>false"
        "</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts>"
        f"<organizationId>{org}</organizationId><organizationMultiCurrency>false"
        "</organizationMultiCurrency><organizationName>ForceManager Sandbox Org"
        "</organizationName><profileId>00e5g000000AbCdAAK</profileId><roleId xsi:nil=\"true\"/>"
        f"<sessionSecondsValid>{int(state.session_seconds)}</sessionSecondsValid>"
        f"<userDefaultCurrencyIsoCode xsi:nil=\"true\"/><userEmail>{e(user['Email'])}"
        f"</userEmail><userFullName>{e(user['Name'])}</userFullName><userId>{user_id}</userId>"
        f"<userLanguage>{user['LanguageLocaleKey']}</userLanguage><userLocale>en_US"
        f"</userLocale><userName>{e(user['Username'])}</userName><userTimeZone>"
        f"{user['TimeZoneSidKey']}</userTimeZone><userType>Standard</userType>"
        "<userUiSkin>Theme3</userUiSkin></userInfo>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(xml, 200, media_type="text/xml; charset=utf-8")


def _xml_text(root: ElementTree.Element, local: str) -> str | None:
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == local:
            return element.text or ""
    return None


def _soap_fault(faultcode: str, code: str, message: str) -> Response:
    e = html.escape
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soapenv:Body><soapenv:Fault><faultcode>{faultcode}</faultcode>"
        f"<faultstring>{code}: {e(message)}</faultstring><detail>"
        '<sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{code}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{e(message)}</sf:exceptionMessage>"
        "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(xml, 500, media_type="text/xml; charset=utf-8")
