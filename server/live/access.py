"""Whether a subscriber may still receive: a WebSocket outlives the check of its token at
connect time, so long-lived feeds look again now and then."""

from __future__ import annotations

import time

from server.models import ApiToken

# How stale the answer may be: a revoked token stops receiving within this many seconds.
RECHECK_SECONDS = 60.0


async def token_active(token_id: int) -> bool:
    return await ApiToken.filter(id=token_id, revoked_at=None).exists()


class TokenWatch:
    """Answers "is the token still active?" from the database at most every RECHECK_SECONDS."""

    def __init__(self, token_id: int, every: float | None = None) -> None:
        self.token_id = token_id
        self.every = RECHECK_SECONDS if every is None else every
        self._checked = time.monotonic()

    async def active(self) -> bool:
        now = time.monotonic()
        if now - self._checked < self.every:
            return True
        self._checked = now
        return await token_active(self.token_id)
