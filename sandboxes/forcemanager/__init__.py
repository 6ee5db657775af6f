"""A local ForceManager API v4: the sandbox the service, its tests and the demo talk to.

    sandbox = create_sandbox(seed=1, accounts=200, rate_limit=13)
    sandbox.app     # the ASGI app: /api/v4/… (the API) and /_sandbox/… (admin)
    sandbox.store   # the data, for tests that look inside

docs/forcemanager.md describes the API's behaviour, the admin surface and the fault knobs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from sandboxes.forcemanager import admin
from sandboxes.forcemanager.activity import PeopleAtWork
from sandboxes.forcemanager.api import dispatch
from sandboxes.forcemanager.control import Allowance, Counters, Faults, RateLimiter, Sessions
from sandboxes.forcemanager.seed import Sizes, seed_store
from sandboxes.forcemanager.store import Store
from sandboxes.forcemanager.wire import BASE_PATH

PUBLIC_KEY = "sandbox-public-key"
PRIVATE_KEY = "sandbox-private-key"

__all__ = ["PUBLIC_KEY", "PRIVATE_KEY", "ForceManagerSandbox", "Sizes", "create_sandbox",
           "create_app"]


class ForceManagerSandbox:
    def __init__(
        self,
        seed: int = 1,
        sizes: Sizes | None = None,
        *,
        rate_limit: float | None = None,
        session_ttl: float | None = None,
        credentials: dict[str, str] | None = None,
    ) -> None:
        self.seed = seed
        self.sizes = sizes or Sizes()
        self.sessions = Sessions(credentials or {PUBLIC_KEY: PRIVATE_KEY}, ttl=session_ttl)
        self.limiter = RateLimiter(rate_limit)
        self.faults = Faults(seed=seed)
        self.allowance = Allowance()
        self.counters = Counters()
        self.store = Store()
        seed_store(self.store, seed, self.sizes)
        self.activity = PeopleAtWork(self.store, seed)
        self.app = self._build_app()

    def reset(self, seed: int | None = None, sizes: Sizes | None = None) -> None:
        """Freshly seeded data (same seed and sizes unless given); sessions stay valid."""
        self.activity.stop()
        self.seed = self.seed if seed is None else seed
        self.sizes = sizes or self.sizes
        store = Store()
        seed_store(store, self.seed, self.sizes)
        self.store = store
        self.activity = PeopleAtWork(store, self.seed)

    def _build_app(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            self.activity.stop()

        async def not_found(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse(
                {"error": "NOT_FOUND", "code": 404,
                 "message": f"no endpoint at {request.url.path}"},
                status_code=404,
            )

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        app = Starlette(
            routes=[
                Route(BASE_PATH + "/{path:path}", dispatch, methods=methods),
                Mount("/_sandbox", routes=admin.routes),
            ],
            exception_handlers={404: not_found},
            lifespan=lifespan,
        )
        app.state.sandbox = self
        return app


def create_sandbox(
    seed: int = 1,
    *,
    accounts: int = 40,
    contacts: int | None = None,
    opportunities: int | None = None,
    activities: int | None = None,
    products: int = 25,
    salesorders: int | None = None,
    users: int = 12,
    deleted_share: float = 0.03,
    rate_limit: float | None = None,
    session_ttl: float | None = None,
    credentials: dict[str, str] | None = None,
) -> ForceManagerSandbox:
    """A sandbox with seeded data; sizes left None follow the number of accounts."""
    sizes = Sizes(accounts, contacts, opportunities, activities, products, salesorders, users,
                  deleted_share)
    return ForceManagerSandbox(
        seed, sizes, rate_limit=rate_limit, session_ttl=session_ttl, credentials=credentials
    )


def create_app(seed: int = 1, **options: Any) -> ForceManagerSandbox:
    """The name docs/CONTRACTS.md uses; the same as create_sandbox."""
    return create_sandbox(seed, **options)
