"""A process holding N GraphQL WebSocket subscribers (graphql-transport-ws) of one org's
syncEvents. Prints READY once all are subscribed, stops on a line on stdin (or after a
deadline), then prints one JSON line: delivery latencies (ms, from the event's `at` to its
arrival here), events received and feed resets.

    python -m bench.subscribers WS_URL TOKEN COUNT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

QUERY = """subscription { syncEvents { __typename
  ... on SyncEvent { id at entity action status recordName cursor }
  ... on FeedReset { reason } } }"""


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.received = 0
        self.resets: dict[str, int] = {}


async def subscriber(url: str, token: str, tally: Tally, ready: asyncio.Event,
                     subscribed: list[int], count: int) -> None:
    async with connect(url, subprotocols=["graphql-transport-ws"], max_queue=None) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
        ack = json.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"refused: {ack}")
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))
        subscribed[0] += 1
        if subscribed[0] == count:
            ready.set()
        try:
            async for raw in ws:
                arrived = time.time()
                message = json.loads(raw)
                if message.get("type") != "next":
                    continue
                event = message["payload"]["data"]["syncEvents"]
                if event["__typename"] == "FeedReset":
                    tally.resets[event["reason"]] = tally.resets.get(event["reason"], 0) + 1
                    return
                tally.received += 1
                sent = datetime.fromisoformat(event["at"]).timestamp()
                tally.latencies.append((arrived - sent) * 1000)
        except ConnectionClosed:
            return


async def main(url: str, token: str, count: int) -> None:
    tally = Tally()
    ready = asyncio.Event()
    subscribed = [0]
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(subscriber(url, token, tally, ready, subscribed,
                                                    count)))
        await asyncio.sleep(0.005)  # don't SYN-flood the server's accept queue
    await asyncio.wait_for(ready.wait(), 120)
    # Give the server a moment to register the last subscriptions with its hub.
    await asyncio.sleep(1.0)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"latencies": [round(x, 2) for x in tally.latencies],
                      "received": tally.received, "resets": tally.resets}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
