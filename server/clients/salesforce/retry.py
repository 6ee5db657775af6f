"""Run a blocking Salesforce call off the event loop, retrying transient failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from server.clients.errors import TransientError
from server.clients.salesforce.classify import backoff_delay, classify

log = logging.getLogger(__name__)

T = TypeVar("T")


async def run_blocking(fn: Callable[[], T], *, max_retries: int, backoff_base: float) -> T:
    """Run `fn` in a worker thread; retry TransientError up to `max_retries` times.

    Every other failure is raised at once, classified (PermanentError, QuotaExceeded, ...).
    """
    attempt = 0
    while True:
        try:
            return await asyncio.to_thread(fn)
        except Exception as exc:  # noqa: BLE001 - classify() re-raises what it does not know
            error = classify(exc)
            if not isinstance(error, TransientError) or attempt >= max_retries:
                # The low-level traceback holds the HTTP response, and so its socket, for as
                # long as anyone keeps the error: keep the cause, drop its frames.
                exc.with_traceback(None)
                if error is exc:
                    raise
                raise error from exc
            delay = backoff_delay(attempt, backoff_base)
            log.warning(
                "Salesforce call failed (%s), retry %d/%d in %.2fs",
                error.code,
                attempt + 1,
                max_retries,
                delay,
            )
            attempt += 1
            await asyncio.sleep(delay)
