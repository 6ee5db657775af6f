"""A process holding N GraphQL WebSocket subscribers (graphql-transport-ws) of one org's
syncEvents. Prints READY once all are subscribed, stops on a line on stdin (or after a
deadline), then prints one JSON line: delivery latencies (ms, from the event's `at` to its
arrival here), events received and feed resets.

    python -m bench.subscribers WS_URL TOKEN COUNT

The load generator shares the machine's cores with the server it measures, so each
subscriber is a bare asyncio Protocol speaking RFC 6455 itself: the handshake a browser
sends (permessage-deflate offered, inflated if the server takes it), masked client frames,
pong replies, and server frames parsed straight from the socket's buffer. A general client
(websockets' asyncio connection) spent several times the server's CPU per message on
futures and its frame reader. Each message is still read for itself: the frames the server
writes for a shared event are recognized by their fixed head and read for their `at` only;
anything else is parsed whole as JSON.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import struct
import sys
import time
import zlib
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

QUERY = """subscription { syncEvents { __typename
  ... on SyncEvent { id at entity action status recordName cursor }
  ... on FeedReset { reason } } }"""

# The head of a `next` frame of a synced record, as the server writes it for shared events
# (compact JSON, __typename first as the query asks).
RECORD_HEAD = b'{"id":"1","type":"next","payload":{"data":{"syncEvents":{"__typename":"SyncEvent",'
AT = b'"at":"'
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.received = 0
        self.last = 0.0  # wall-clock time of the latest arrival
        self.resets: dict[str, int] = {}
        # All subscribers in a process get each event: its `at` is converted once.
        self._sent: dict[bytes, float] = {}

    def record(self, at: bytes, arrived: float) -> None:
        sent = self._sent.get(at)
        if sent is None:
            if len(self._sent) > 10_000:
                self._sent.clear()
            sent = self._sent[at] = datetime.fromisoformat(at.decode()).timestamp()
        self.received += 1
        self.last = arrived
        self.latencies.append((arrived - sent) * 1000)


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked frame (RFC 6455 5.3: every client frame is masked)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    mask = os.urandom(4)
    key = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    return head + mask + masked


class Subscriber(asyncio.Protocol):
    def __init__(self, url: str, token: str, tally: Tally, on_subscribed: Any) -> None:
        parts = urlsplit(url)
        self.host = parts.netloc
        self.path = parts.path or "/"
        self.token = token
        self.tally = tally
        self.on_subscribed = on_subscribed
        self.key = base64.b64encode(os.urandom(16))
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.open = False
        self.inflate: Any = None  # zlib decompressor when permessage-deflate was agreed
        self.fresh_inflate = False  # server_no_context_takeover: one decompressor a message
        self.wbits = -15
        self.fragments: list[bytes] = []
        self.compressed = False
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
            .encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, message: dict[str, Any]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(TEXT, json.dumps(message).encode()))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(CLOSE, struct.pack("!H", 1000)))
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self.buffer += data
        if not self.open and not self._handshake():
            return
        buf = self.buffer
        size = len(buf)
        pos = 0
        while size - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            length, start = second & 0x7F, pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if second & 0x80:
                raise RuntimeError("the server sent a masked frame")
            end = start + length
            if end > size:
                break
            self._frame(first, bytes(buf[start:end]), arrived)
            pos = end
        del buf[:pos]

    def _handshake(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(self.key + GUID).digest()).decode()
        if " 101 " not in head[0] + " " or headers.get("sec-websocket-accept") != accept:
            raise RuntimeError(f"WebSocket handshake refused: {head[0]}")
        if headers.get("sec-websocket-protocol") != "graphql-transport-ws":
            raise RuntimeError("the server did not agree to graphql-transport-ws")
        extension = headers.get("sec-websocket-extensions", "")
        if extension.startswith("permessage-deflate"):
            for param in extension.split(";")[1:]:
                name, _, value = param.strip().partition("=")
                if name == "server_max_window_bits":
                    self.wbits = -int(value)
                elif name == "server_no_context_takeover":
                    self.fresh_inflate = True
            self.inflate = zlib.decompressobj(self.wbits)
        self.open = True
        self.send({"type": "connection_init",
                   "payload": {"Authorization": f"Bearer {self.token}"}})
        return True

    def _frame(self, first: int, payload: bytes, arrived: float) -> None:
        opcode = first & 0x0F
        if opcode == PING:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(client_frame(PONG, payload))
            return
        if opcode == CLOSE:
            self.close()
            return
        if opcode == PONG:
            return
        if opcode:  # the first frame of a message: RSV1 says whether it is compressed
            self.compressed = bool(first & 0x40)
        self.fragments.append(payload)
        if not first & 0x80:
            return
        data = self.fragments[0] if len(self.fragments) == 1 else b"".join(self.fragments)
        self.fragments = []
        if self.compressed:
            if self.fresh_inflate:
                self.inflate = zlib.decompressobj(self.wbits)
            data = self.inflate.decompress(data + b"\x00\x00\xff\xff")
        self._message(data, arrived)

    def _message(self, data: bytes, arrived: float) -> None:
        if data.startswith(RECORD_HEAD):
            start = data.find(AT, len(RECORD_HEAD)) + len(AT)
            if start >= len(AT):
                self.tally.record(data[start : data.index(b'"', start)], arrived)
                return
        message = json.loads(data)
        kind = message.get("type")
        if kind == "connection_ack":
            self.send({"id": "1", "type": "subscribe", "payload": {"query": QUERY}})
            self.on_subscribed()
        elif kind == "ping":
            self.send({"type": "pong"})
        elif kind == "next":
            event = message["payload"]["data"]["syncEvents"]
            if event["__typename"] == "FeedReset":
                resets = self.tally.resets
                resets[event["reason"]] = resets.get(event["reason"], 0) + 1
                self.close()
                return
            self.tally.record(event["at"].encode(), arrived)
        elif kind in ("error", "complete"):
            raise RuntimeError(f"subscription ended: {message}")


async def main(url: str, token: str, count: int) -> None:
    loop = asyncio.get_running_loop()
    tally = Tally()
    ready = asyncio.Event()
    subscribed = [0]

    def on_subscribed() -> None:
        subscribed[0] += 1
        if subscribed[0] == count:
            ready.set()

    parts = urlsplit(url)
    clients: list[Subscriber] = []
    for _ in range(count):
        _, client = await loop.create_connection(
            lambda: Subscriber(url, token, tally, on_subscribed), parts.hostname, parts.port
        )
        clients.append(client)
        await asyncio.sleep(0.005)  # don't SYN-flood the server's accept queue
    await asyncio.wait_for(ready.wait(), 120)
    # Give the server a moment to register the last subscriptions with its hub.
    await asyncio.sleep(1.0)
    print("READY", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    for client in clients:
        client.close()
    print(json.dumps({"latencies": [round(x, 2) for x in tally.latencies],
                      "received": tally.received, "resets": tally.resets,
                      "last": tally.last}), flush=True)


if __name__ == "__main__":
    try:
        import uvloop  # the event loop uvicorn runs the server on; cheaper per callback
    except ImportError:
        asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    else:
        uvloop.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
