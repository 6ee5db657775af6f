"""A local Salesforce: the REST API, OAuth and SOAP login, Bulk API 2.0 queries, with
in-memory seeded data, served over HTTPS (sandboxes/tls.py) so simple-salesforce works
unmodified. See docs/sandbox-salesforce.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette

from sandboxes.salesforce.admin import reseed
from sandboxes.salesforce.app import build_app
from sandboxes.salesforce.auth import CLIENT_ID, CLIENT_SECRET, PASSWORD, SECURITY_TOKEN, USERNAME
from sandboxes.salesforce.schema import API_VERSION
from sandboxes.salesforce.seed import SeedSizes
from sandboxes.salesforce.state import SandboxState
from sandboxes.salesforce.store import Store, utc_now

__all__ = [
    "API_VERSION", "CLIENT_ID", "CLIENT_SECRET", "PASSWORD", "SECURITY_TOKEN", "USERNAME",
    "SalesforceSandbox", "SeedSizes", "Store", "create_app", "create_sandbox",
]


class SalesforceSandbox:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app: Starlette = build_app(state)

    @property
    def store(self) -> Store:
        """The data (replaced on reset: do not keep a reference across resets)."""
        return self.state.store

    def reset(self, seed: int | None = None, sizes: SeedSizes | None = None) -> None:
        reseed(self.state, self.state.seed if seed is None else seed, sizes or self.state.sizes)


def create_sandbox(
    seed: int = 1,
    *,
    accounts: int = 30,
    contacts: int | None = None,
    opportunities: int | None = None,
    tasks: int | None = None,
    events: int | None = None,
    products: int = 20,
    users: int = 12,
    api_limit: int = 100_000,
    session_seconds: float = 7200.0,
    clock: Callable[[], datetime] = utc_now,
) -> SalesforceSandbox:
    """A seeded sandbox. Sizes left None follow accounts (2 contacts, 1 opportunity, 1 task
    and half an event per account). clock gives 'now' for audit fields and seeding."""
    sizes = SeedSizes(accounts, contacts, opportunities, tasks, events, products, users)
    state = SandboxState(Store(clock=clock), api_limit, session_seconds)
    reseed(state, seed, sizes)
    return SalesforceSandbox(state)


create_app = create_sandbox  # the name docs/CONTRACTS.md uses
