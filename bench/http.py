"""Timing GraphQL requests against a running API server."""

from __future__ import annotations

import time
from typing import Any

import httpx


async def timed_queries(
    url: str, token: str, query: str, count: int, warmup: int = 5
) -> tuple[list[float], Any]:
    """Send `query` `count` times, one after the other (a user waiting for each answer);
    returns the latencies in ms and the last answer's data. Fails on any GraphQL error."""
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    data: Any = None
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        for i in range(warmup + count):
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": query})
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                raise RuntimeError(f"query failed: {response.status_code} {body}")
            data = body["data"]
            if i >= warmup:
                samples.append(elapsed)
    return samples, data
