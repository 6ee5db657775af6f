"""Whether a subscriber may still receive: a WebSocket outlives the check of its token at
connect time, so long-lived feeds look again now and then.

Subscribers that connected together come due together: 500 feeds on one token each
asking the database within the same moment stalled the whole live feed for 1-2 s every
minute. So the answer for a token is shared by all its feeds in this process: one query
at a time per token, and an answer younger than half the recheck period is reused. Each
feed asks every half period, so a revoked token still stops receiving within
RECHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import time

from server.models import ApiToken

# How stale the answer may be: a revoked token stops receiving within this many seconds.
RECHECK_SECONDS = 60.0


async def token_active(token_id: int) -> bool:
    return await ApiToken.filter(id=token_id, revoked_at=None).exists()


class _Answers:
    """The latest answer per token (when it was read, whether active) and the query in
    flight, if any."""

    def __init__(self) -> None:
        self.latest: dict[int, tuple[float, bool]] = {}
        self.pending: dict[int, asyncio.Future[bool]] = {}

    async def active(self, token_id: int, max_age: float) -> bool:
        while True:
            latest = self.latest.get(token_id)
            if latest is not None and time.monotonic() - latest[0] < max_age:
                return latest[1]
            pending = self.pending.get(token_id)
            if pending is None:
                break
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this feed is the one going away
                # The feed that was asking went away mid-query: ask again.
        pending = self.pending[token_id] = asyncio.get_running_loop().create_future()
        try:
            answer = await token_active(token_id)
        except asyncio.CancelledError:
            pending.cancel()
            raise
        except Exception as exc:
            pending.set_exception(exc)
            pending.exception()  # marked retrieved: the feeds waiting on it raise it
            raise
        finally:
            del self.pending[token_id]
        self.latest[token_id] = (time.monotonic(), answer)
        pending.set_result(answer)
        return answer


ANSWERS = _Answers()


class TokenWatch:
    """Answers "is the token still active?" from the database at most every RECHECK_SECONDS."""

    def __init__(self, token_id: int, every: float | None = None) -> None:
        self.token_id = token_id
        self.every = RECHECK_SECONDS if every is None else every
        self._checked = time.monotonic()

    async def active(self) -> bool:
        now = time.monotonic()
        half = self.every / 2
        if now - self._checked < half:
            return True
        self._checked = now
        return await ANSWERS.active(self.token_id, half)
