"""What every resolver receives.

The context is Strawberry's plain dict, so every part of the schema (subscriptions
included) reads it the same way: "request", "response", "caller" (server.auth.Caller or
None), "resources" (Resources) and, on WebSockets, "connection_params".
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from arq.connections import ArqRedis

from server.auth import Caller
from server.jobs import arq_pool

Info = strawberry.Info[dict[str, Any], None]


class Resources:
    """Connections an API process shares between requests, opened on first use and closed
    by the app's lifespan."""

    def __init__(self) -> None:
        self._queue: ArqRedis | None = None
        self._lock = asyncio.Lock()

    async def queue(self) -> ArqRedis:
        """The arq pool (also a plain Redis client)."""
        if self._queue is None:
            async with self._lock:
                if self._queue is None:
                    self._queue = await arq_pool()
        return self._queue

    async def aclose(self) -> None:
        if self._queue is not None:
            await self._queue.aclose()
            self._queue = None


def caller(info: Info) -> Caller:
    """The authenticated caller. Resolvers run behind IsAuthenticated, so one exists."""
    found = info.context.get("caller")
    assert found is not None, "resolver reached without IsAuthenticated"
    return found


def org_id(info: Info) -> int:
    return caller(info).org_id


async def queue(info: Info) -> ArqRedis:
    return await info.context["resources"].queue()
