"""Turn the API clients' errors into the service's typed failures."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.clients.errors import ApiError, AuthError, QuotaExceeded
from server.integration.errors import ExternalUnavailable, SalesforceAuthFailed

log = logging.getLogger(__name__)


@asynccontextmanager
async def calling(system: str) -> AsyncIterator[None]:
    """Around a call to Salesforce or ForceManager made on behalf of a person."""
    try:
        yield
    except AuthError as exc:
        if system == "Salesforce":
            raise SalesforceAuthFailed(exc.message) from exc
        raise ExternalUnavailable(system, f"credentials refused ({exc.message})") from exc
    except QuotaExceeded as exc:
        raise ExternalUnavailable(system, f"API limit reached ({exc.message})") from exc
    except ApiError as exc:
        log.warning("%s call failed: %s %s", system, exc.code, exc.message)
        raise ExternalUnavailable(system, exc.message) from exc
