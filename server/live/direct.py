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

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Protocol

from strawberry.http.exceptions import WebSocketDisconnected

from server.live.sharing import PAYLOADS, RESULTS


class FrameSocket(Protocol):
    def write_now(self, text: str) -> bool: ...

    async def send_text(self, text: str) -> None: ...


class DirectFeed:
    """One subscription operation: its frame's wrapping and the socket it goes to."""

    __slots__ = ("closed", "head", "is_open", "quiet", "request", "socket")

    def __init__(
        self, socket: FrameSocket, head: str, is_open: Callable[[], bool] = lambda: True
    ) -> None:
        self.socket = socket
        self.head = head  # the frame up to its payload, with this operation's id
        self.is_open = is_open
        self.request: Hashable | None = None  # set by the executor at the first event
        self.quiet = False  # set by the extensions runner: no per-result extension work
        self.closed = False

    def frame(self, event: object) -> str | None:
        """This operation's frame for `event` if its payload is known already; None when
        the event must go through Strawberry (so does everything once the socket is gone:
        the ordinary path ends the operation as it always has)."""
        if self.request is None or not self.quiet or self.closed:
            return None
        result = RESULTS.get(event, self.request)
        if result is None:
            return None
        text = PAYLOADS.get(result.data)
        if not text or not self.is_open():
            return None
        return self.head + text + "}"

    def write(self, frame: str) -> bool:
        """Queue the frame without waiting; False when it must be sent with send()."""
        return self.socket.write_now(frame)

    async def send(self, frame: str) -> None:
        """Send the frame once the socket takes it (a full buffer holds this subscriber
        back, and the hub cuts it off if it stays behind)."""
        try:
            await self.socket.send_text(frame)
        except WebSocketDisconnected:
            self.closed = True


CURRENT: ContextVar[DirectFeed | None] = ContextVar("live_direct_feed", default=None)


def current() -> DirectFeed | None:
    """The running subscription operation's DirectFeed, if its handler gave it one."""
    return CURRENT.get()
