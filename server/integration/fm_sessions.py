"""ForceManager session keys kept between runs, so that a tick does not begin with a login.

DESIGN.md: the session's lifetime is undocumented; log in again on 401 (the client does).
A key is kept in Redis, encrypted like every credential, for SESSION_TTL, under the org and
the fingerprint of the API keys it was issued for: new keys never pick up an old session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.asyncio import Redis

from server.config import get_settings
from server.crypto import SecretUnreadable, decrypt, encrypt

if TYPE_CHECKING:
    from server.clients.forcemanager import ForceManagerClient

SESSION_TTL = 3600  # seconds; a session unused this long is left to expire


def _key(org_id: int, client: ForceManagerClient) -> str:
    return f"{get_settings().redis_prefix}:fm-session:{org_id}:{client.fingerprint}"


async def restore(redis: Redis | None, org_id: int, client: ForceManagerClient) -> None:
    """Give the client the session an earlier run of this org kept, if any."""
    if redis is None:
        return
    stored = await redis.get(_key(org_id, client))
    if stored is None:
        return
    try:
        client.session_key = decrypt(stored.decode() if isinstance(stored, bytes) else stored)
    except SecretUnreadable:  # SECRET_KEY rotated away: a login costs one call
        await redis.delete(_key(org_id, client))


async def keep(redis: Redis | None, org_id: int, client: ForceManagerClient) -> None:
    """Keep the client's session for the org's next run."""
    if redis is None or client.session_key is None:
        return
    await redis.set(_key(org_id, client), encrypt(client.session_key) or "", ex=SESSION_TTL)
