"""The API server: GraphQL over HTTP and WebSocket at /graphql, /health and /metrics.

`create_app()` builds it; other parts extend it by adding to `routes()` (e.g. /monitor).
Run with `uvicorn server.app:app`.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.functions import Count

from server import monitor
from server.auth import Caller, authenticate
from server.config import get_settings
from server.db import tortoise_config
from server.graphql.context import Resources
from server.graphql.schema import schema
from server.live import LiveHub
from server.live.frames import DirectFrames
from server.live.handlers import LegacyWSHandler, TextWebSocketAdapter, TransportWSHandler
from server.models import Integration

log = logging.getLogger(__name__)


def bearer_token(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class GraphQLApp(GraphQL):
    """Strawberry's ASGI view with our context: the caller of the token and shared resources;
    WebSocket handlers that serialize a live event's payload once for all its subscribers."""

    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    async def get_context(self, request: Request | WebSocket, response: Any) -> dict[str, Any]:
        caller: Caller | None = None
        if isinstance(request, Request):
            caller = await authenticate(bearer_token(request.headers.get("authorization")))
        return {
            "request": request,
            "response": response,
            "caller": caller,
            "resources": request.app.state.resources,
        }

    async def on_ws_connect(self, context: dict[str, Any]) -> None:
        """Authenticate a WebSocket from its connection_init payload:
        {"Authorization": "Bearer <token>"} (or {"token": "<token>"})."""
        params = context.get("connection_params") or {}
        token = params.get("token") if isinstance(params, dict) else None
        if isinstance(params, dict) and not token:
            header = params.get("Authorization") or params.get("authorization")
            token = bearer_token(header if isinstance(header, str) else None)
        caller = await authenticate(token if isinstance(token, str) else None)
        if caller is None:
            raise ConnectionRejectionError({"message": "invalid or missing API token"})
        context["caller"] = caller


class RequestCounter:
    """Counts HTTP requests by route and status for /metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def record(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            counts: Counter = scope["app"].state.request_counts
            counts[(scope["path"] if scope["path"] in _COUNTED else "other", status)] += 1


_COUNTED = {"/graphql", "/health", "/metrics"}


async def health(request: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # the check reports any failure; it must not raise
        log.warning("health: database check failed: %s", type(exc).__name__)
        checks["database"] = "unavailable"
    try:
        redis = await request.app.state.resources.queue()
        await redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        log.warning("health: redis check failed: %s", type(exc).__name__)
        checks["redis"] = "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, 200 if ok else 503)


async def metrics(request: Request) -> Response:
    lines = [
        "# HELP fmsf_http_requests_total HTTP requests served by this process.",
        "# TYPE fmsf_http_requests_total counter",
    ]
    for (path, status), n in sorted(request.app.state.request_counts.items()):
        lines.append(f'fmsf_http_requests_total{{path="{path}",status="{status}"}} {n}')
    lines += [
        "# HELP fmsf_integrations Integrations by state (all organizations).",
        "# TYPE fmsf_integrations gauge",
    ]
    rows = (
        await Integration.annotate(n=Count("id")).group_by("state").values_list("state", "n")
    )
    for state, n in sorted(rows):
        lines.append(f'fmsf_integrations{{state="{state}"}} {n}')
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


def routes(graphql: GraphQL) -> list[BaseRoute]:
    return [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/health", health),
        Route("/metrics", metrics),
        *monitor.routes(),
    ]


def create_app(*, manage_db: bool = True, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """manage_db=False when the caller has initialised Tortoise already (tests)."""
    settings = get_settings()
    graphql = GraphQLApp(schema, graphql_ide="graphiql", allowed_origins=settings.allowed_origins)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if manage_db:
                await stack.enter_async_context(RegisterTortoise(app, config=tortoise_config()))
            hub = LiveHub(settings.redis_url)
            await hub.start()
            stack.push_async_callback(hub.stop)
            app.state.live_hub = hub
            stack.push_async_callback(app.state.resources.aclose)
            # What start-up loaded (modules, the schema, the ORM's models) lives as long as
            # the process: out of the cyclic collector's full passes. Those passes walk
            # every live object (~100-200 ms with 500 live-feed subscribers) and, at
            # CPython's default thresholds, ran every few seconds while the feed's caches
            # turned over: the live feed's latency spikes. Young collections 10x rarer
            # (most objects die by reference count anyway), full ones at most every 100
            # middle-generation passes.
            gc.freeze()
            gc.set_threshold(7000, 10, 100)
            yield

    app = Starlette(routes=routes(graphql) + (extra_routes or []), lifespan=lifespan)
    app.state.resources = Resources()
    app.state.request_counts = Counter()
    app.add_middleware(RequestCounter)
    # Outermost of ours, where a WebSocket's `send` is still uvicorn's own.
    app.add_middleware(DirectFrames)
    return app


app = create_app()
