"""Keeping under ForceManager's per-credential rate limit instead of being refused."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque

# The window is a little wider than the limit's second: clocks, scheduling and the network
# bunch requests up on their way to the server, and a refused call costs more than a wait.
SAFETY_MARGIN = 1.02


class Pacer:
    """At most `rate` calls in any window of one second (times SAFETY_MARGIN), shared by
    every concurrent call of one client; each call takes the next free slot.

    ForceManager only says "N requests a second". A sliding window is the strictest reading
    that still allows N at once: whether the server counts per clock second, per sliding
    second or with a token bucket of N, no second ever sees more than N of ours. Against a
    strict 1/N spacing it lets the calls after an idle moment (a Salesforce read, the end of
    a phase) go out at once instead of losing the time.
    """

    def __init__(self, rate: float | None) -> None:
        if rate is not None and not rate > 0:
            raise ValueError(f"rate must be a positive number of requests a second, got {rate}")
        self.rate = rate
        self._burst = max(1, math.floor(rate)) if rate else 0
        self._window = self._burst / rate * SAFETY_MARGIN if rate else 0.0
        self._slots: deque[float] = deque(maxlen=self._burst or None)

    async def wait(self) -> None:
        if not self._window:
            return
        # No await between reading and taking the slot: on one event loop this is atomic.
        now = time.monotonic()
        slot = now
        if len(self._slots) == self._burst:
            slot = max(now, self._slots[0] + self._window)
        self._slots.append(slot)
        if slot > now:
            await asyncio.sleep(slot - now)
