"""A subscription's own way to its socket, for events whose frame is known already.

Once one subscriber's `next` frame for a shared event has gone the whole way (executed by
server.live.handlers.SharedEventExecutor, serialized once), every other subscriber that
sent the same request would get exactly that payload, wrapped with its own operation id.
Strawberry would still take each of them through graphql-core's per-event mapping, its
result conversion, its stream loop and the protocol handler: most of the remaining cost per
message. So the subscription's resolver, running in its operation's task, finds that
frame here and writes it itself; it yields to Strawberry only what is not known yet (the
first subscriber of a request, catch-up entries, resets, anything with errors).

Order is kept: the resolver only runs again once Strawberry has sent what it yielded last,
and both paths write through the same connection (server.live.frames).

The operation's DirectFeed is set in a context variable by the protocol handler when the
operation's task starts; the execution context records the request key on it, the
extensions runner whether extensions leave shared results alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from contextvars import ContextVar

from strawberry.http.exceptions import WebSocketDisconnected

from server.live.sharing import PAYLOADS, RESULTS


class DirectFeed:
    """One subscription operation: its frame's wrapping and the socket it goes to."""

    __slots__ = ("closed", "head", "is_open", "quiet", "request", "send_text", "tail")

    def __init__(
        self,
        send_text: Callable[[str], Awaitable[None]],
        head: str,
        is_open: Callable[[], bool] = lambda: True,
    ) -> None:
        self.send_text = send_text
        self.head = head  # the frame up to its payload, with this operation's id
        self.tail = "}"
        self.is_open = is_open
        self.request: Hashable | None = None  # set by the executor at the first event
        self.quiet = False  # set by the extensions runner: no per-result extension work
        self.closed = False

    async def send_known(self, event: object) -> bool:
        """Write this operation's frame for `event` if its payload is known already; True
        when done (or the socket is gone: the connection's handler ends the operation)."""
        if self.request is None or not self.quiet:
            return False
        if self.closed:
            return True
        result = RESULTS.get(event, self.request)
        if result is None:
            return False
        text = PAYLOADS.get(result.data)
        if not text or not self.is_open():
            return False
        try:
            await self.send_text(self.head + text + self.tail)
        except WebSocketDisconnected:
            self.closed = True
        return True


CURRENT: ContextVar[DirectFeed | None] = ContextVar("live_direct_feed", default=None)


def current() -> DirectFeed | None:
    """The running subscription operation's DirectFeed, if its handler gave it one."""
    return CURRENT.get()
