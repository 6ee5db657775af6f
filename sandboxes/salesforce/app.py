"""The Starlette app: login endpoints, the REST API behind session, allowance and fault checks,
and the admin surface."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandboxes.salesforce import admin, auth
from sandboxes.salesforce.api import JSON, ApiRequest
from sandboxes.salesforce.routes import dispatch, kind_of
from sandboxes.salesforce.state import SandboxState

log = logging.getLogger("sandboxes.salesforce")

OLDEST_VERSION, NEWEST_VERSION = 20, 62
_VERSION = re.compile(r"^v(\d+)\.0$")
_RELEASES = ["Winter", "Spring", "Summer"]


def _label(major: int) -> str:
    # v20.0 was Winter '11; three releases a year since.
    step = major - 20
    return f"{_RELEASES[step % 3]} '{11 + step // 3:02d}"


def _errors(status: int, code: str, message: str, limit_info: str | None = None) -> Response:
    headers = {"Sforce-Limit-Info": limit_info} if limit_info else None
    return JSONResponse([{"message": message, "errorCode": code}], status, headers=headers)


async def versions(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.counters["versions"] += 1
    return JSONResponse([
        {"label": _label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        for v in range(OLDEST_VERSION, NEWEST_VERSION + 1)
    ], headers={"Sforce-Limit-Info": state.limit_info})


async def rest_api(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    m = _VERSION.match(request.path_params["version"])
    if not m or not OLDEST_VERSION <= int(m.group(1)) <= NEWEST_VERSION:
        return _errors(404, "NOT_FOUND", "The requested resource does not exist",
                       state.limit_info)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    session = state.session(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
    if session is None:
        state.counters["invalid_session"] += 1
        return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid", state.limit_info)
    if state.api_used >= state.api_limit:
        state.counters["limit_exceeded"] += 1
        return _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.",
                       state.limit_info)
    rest = request.path_params.get("rest", "")
    path = "/" + rest if rest else ""
    path = path.rstrip("/")
    state.api_used += 1
    state.counters["api"] += 1
    state.counters[kind_of(request.method, path)] += 1
    req = ApiRequest(
        method=request.method,
        path=path,
        version=m.group(1) + ".0",
        query=dict(request.query_params),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=await request.body(),
        user_id=session.user_id,
        base_url=auth.base_url(request),
    )
    answer = await dispatch(state, req)
    headers = dict(answer.headers)
    headers["Sforce-Limit-Info"] = state.limit_info
    if answer.status == 204:
        return Response(status_code=204, headers=headers)
    return Response(answer.encode(), answer.status, headers=headers, media_type=answer.media_type)


class Faults:
    """Added latency and injected failures for everything under /services and /id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(("/services", "/id/")):
            await self.app(scope, receive, send)
            return
        state: SandboxState = scope["app"].state.sandbox
        faults = state.faults
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        failure = faults.pick(path)
        if failure is None:
            await self.app(scope, receive, send)
            return
        state.counters["injected_failure"] += 1
        status, code, message = failure
        response = _errors(status, code, message, state.limit_info)
        await response(scope, receive, send)


async def _unexpected(request: Request, exc: Exception) -> Response:
    error_id = secrets.randbelow(10**9)
    log.exception("unexpected error %s on %s %s", error_id, request.method, request.url.path)
    return Response(
        f'[{{"message":"An unexpected error occurred. Please include this ErrorId if you '
        f'contact support: {error_id}-0 ({error_id})","errorCode":"UNKNOWN_EXCEPTION"}}]',
        500, media_type=JSON,
    )


def build_app(state: SandboxState) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await admin.stop_activity(state)

    routes = [
        Route("/services/oauth2/authorize", auth.authorize, methods=["GET"]),
        Route("/services/oauth2/token", auth.token, methods=["POST"]),
        Route("/services/oauth2/revoke", auth.revoke, methods=["GET", "POST"]),
        Route("/services/oauth2/userinfo", auth.identity, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", auth.identity, methods=["GET", "POST"]),
        Route("/services/Soap/u/{version}", auth.soap_login, methods=["POST"]),
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
        Route("/services/data/{version}", rest_api, methods=["GET"]),
        Route("/services/data/{version}/{rest:path}", rest_api,
              methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        *admin.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={Exception: _unexpected})
    app.state.sandbox = state
    app.add_middleware(Faults)
    return app
