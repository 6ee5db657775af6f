"""A minimal GraphQL-over-WebSocket client speaking both protocols, on `websockets`."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
# How long to wait for any one message before the test fails.
WAIT = 10.0


class Rejected(Exception):
    """The server refused the connection: close code and reason, or the error payload."""


class GraphQLWebSocket:
    def __init__(self, conn: ClientConnection, protocol: str) -> None:
        self.conn = conn
        self.protocol = protocol
        self._ids = itertools.count(1)

    @classmethod
    async def open(
        cls, url: str, token: str | None, *, protocol: str = TRANSPORT_WS,
        origin: str | None = None, compression: str | None = "deflate",
    ) -> GraphQLWebSocket:
        headers = {"Origin": origin} if origin else None
        conn = await connect(url, subprotocols=[protocol], additional_headers=headers,
                             compression=compression)
        client = cls(conn, protocol)
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await client.send({"type": "connection_init", "payload": payload})
        reply = await client.receive()
        if reply is None or reply["type"] != "connection_ack":
            await conn.close()
            raise Rejected(reply)
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.conn.send(json.dumps(message))

    async def receive(self) -> dict[str, Any] | None:
        """The next message other than keep-alives; {"type": "closed", ...} when the server
        closed the connection (None if it gave no close frame)."""
        while True:
            try:
                async with asyncio.timeout(WAIT):
                    raw = await self.conn.recv()
            except ConnectionClosed as closed:
                if closed.rcvd is None:
                    return None
                return {"type": "closed", "code": closed.rcvd.code, "reason": closed.rcvd.reason}
            message = json.loads(raw)
            if message.get("type") not in ("ka", "ping", "pong"):
                return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(self._ids))
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send({"id": op_id, "type": kind,
                         "payload": {"query": query, "variables": variables or {}}})
        return op_id

    async def next_payload(self) -> dict[str, Any]:
        """The next result's payload ({"data": ...} or {"errors": ...}); raises on anything
        else (complete, close, protocol error)."""
        message = await self.receive()
        if message and message["type"] in ("next", "data"):
            return message["payload"]
        raise AssertionError(f"expected a result, got {message}")

    async def stop(self, op_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.send({"id": op_id, "type": kind})

    async def close(self) -> None:
        await self.conn.close()
