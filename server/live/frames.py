"""Live-feed frames written to the socket with as little machinery as possible.

Each `websocket.send` through ASGI costs a trip through Starlette, uvicorn's send and one
`transport.write` (a system call) per frame. A subscriber that wakes up with several events
queued sends them one after the other in the same turn of the event loop, so here its text
frames go into the outgoing buffer of the connection's own websockets protocol object
(framed by it when an extension such as permessage-deflate was negotiated, else with the
2-10 byte header written here) and are written together once that turn ends.

Only uvicorn's websockets-sansio protocol (what `--ws auto` picks with websockets
installed) is reached into; with any other server the frames take the ordinary ASGI path.
Anything sent through ASGI later (complete, close) is framed by the same protocol object
after the frames pending here, so the order on the wire is the order of the calls.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.protocol import State
except ImportError:  # pragma: no cover - uvicorn without websockets: ASGI path only
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

SCOPE_KEY = "fmsf.frame_writer"


class FrameWriter:
    """Text frames of one connection, written once per event-loop turn."""

    __slots__ = ("_flush_pending", "protocol")

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self._flush_pending = False

    def write_text(self, text: str) -> bool:
        """Queue a text frame; False when it must take the ASGI path instead: before the
        handshake, after a close, or while the socket's buffer is full (uvicorn's send
        waits for it to drain, which is what holds a slow subscriber back)."""
        protocol = self.protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.handshake_complete
            or protocol.initial_response is not None
            or not protocol.writable.is_set()
        ):
            return False
        conn = protocol.conn
        data = text.encode()
        if conn.extensions or conn.state is not State.OPEN or conn.expect_continuation_frame:
            conn.send_text(data)
        else:
            # What conn.send_text would append for a final, unmasked (server), unextended
            # text frame, without building a Frame object per frame.
            size = len(data)
            if size < 126:
                head = bytes((0x81, size))
            elif size < 65536:
                head = b"\x81\x7e" + size.to_bytes(2, "big")
            else:
                head = b"\x81\x7f" + size.to_bytes(8, "big")
            conn.writes.append(head + data)
        if not self._flush_pending:
            self._flush_pending = True
            protocol.loop.call_soon(self._flush)
        return True

    def _flush(self) -> None:
        self._flush_pending = False
        protocol = self.protocol
        data = protocol.conn.data_to_send()
        if data and not protocol.transport.is_closing():
            protocol.transport.write(b"".join(data))


class DirectFrames:
    """ASGI middleware: gives each WebSocket served by uvicorn's websockets-sansio protocol
    a FrameWriter in its scope. Must sit where `send` is still uvicorn's own (outside any
    middleware that wraps send for WebSockets).

    deflate=False declines permessage-deflate even when uvicorn runs with its default
    (--ws-per-message-deflate true): a live-feed frame would be compressed once per
    subscriber (~10 us of CPU each, a third of the whole per-message cost before this
    module), for frames of a few hundred bytes. The handshake's answer is not sent yet
    when the app is called, so the offer is simply left unanswered."""

    def __init__(self, app: ASGIApp, *, deflate: bool = False) -> None:
        self.app = app
        self.deflate = deflate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and WebSocketsSansIOProtocol is not None:
            protocol = getattr(send, "__self__", None)
            if isinstance(protocol, WebSocketsSansIOProtocol):
                if not self.deflate and not protocol.handshake_complete:
                    _decline_extensions(protocol)
                scope[SCOPE_KEY] = FrameWriter(protocol)
        await self.app(scope, receive, send)


def _decline_extensions(protocol: Any) -> None:
    response = getattr(protocol, "response", None)
    if response is not None and response.status_code == 101:
        try:
            del response.headers["Sec-WebSocket-Extensions"]
        except KeyError:
            return  # nothing was agreed
        protocol.conn.extensions = []


def frame_writer(scope: Scope) -> FrameWriter | None:
    return scope.get(SCOPE_KEY)

