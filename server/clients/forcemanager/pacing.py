"""Keeping under ForceManager's per-credential rate limit instead of being refused."""

from __future__ import annotations

import asyncio
import time

# Requests are spaced a little wider than 1/rate: clocks, scheduling and the network all
# bunch requests up on their way to the server, and a refused call costs more than a wait.
SAFETY_MARGIN = 1.05


class Pacer:
    """A token bucket without burst, shared by every concurrent call of one client: each
    call takes the next free slot, `1/rate` seconds after the previous one."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and not rate > 0:
            raise ValueError(f"rate must be a positive number of requests a second, got {rate}")
        self.rate = rate
        self._interval = SAFETY_MARGIN / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self._interval:
            return
        # No await between reading and moving _next: on one event loop this is atomic.
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
