"""Bulk API 2.0 query jobs: create, wait without blocking the loop, read CSV result pages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import Operation, _Bulk2Client

from server.clients.errors import PermanentError, TransientError
from server.clients.salesforce.records import parse_csv
from server.clients.salesforce.types import Page

Call = Callable[[Callable[[Salesforce], Any]], Awaitable[Any]]


def bulk_client(sf: Salesforce) -> _Bulk2Client:
    """simple-salesforce's Bulk 2.0 client on the current session. Its blocking
    `wait_for_job` is not used: the job is polled here, with asyncio.sleep between polls."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {sf.session_id}"}
    return _Bulk2Client("", sf.bulk2_url, headers, sf.session)


async def bulk_pages(
    call: Call,
    soql: str,
    *,
    include_deleted: bool,
    page_size: int,
    poll_interval: float,
    job_timeout: float,
) -> AsyncIterator[Page]:
    operation = Operation.query_all if include_deleted else Operation.query
    job = await call(lambda sf: bulk_client(sf).create_job(operation, soql))
    info = await wait_for_job(call, job["id"], poll_interval=poll_interval, job_timeout=job_timeout)
    total = info.get("numberRecordsProcessed")
    locator = ""
    while True:
        answer = await call(
            lambda sf, loc=locator: bulk_client(sf).get_query_results(job["id"], loc, page_size)
        )
        locator = answer["locator"]
        page = Page(parse_csv(answer["records"]), total)
        del answer
        yield page
        del page
        if not locator:
            return


async def wait_for_job(
    call: Call, job_id: str, *, poll_interval: float, job_timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + job_timeout
    delay = min(0.1, poll_interval)
    while True:
        info = await call(lambda sf: bulk_client(sf).get_job(job_id, True))
        state = info.get("state")
        if state == "JobComplete":
            return info
        if state in ("Failed", "Aborted"):
            message = info.get("errorMessage") or f"the Bulk API 2.0 job ended {state}"
            raise PermanentError("BULK_JOB_FAILED", message)
        if time.monotonic() > deadline:
            raise TransientError(
                "BULK_TIMEOUT", f"the Bulk API 2.0 job is still {state} after {job_timeout}s"
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, poll_interval)
