"""Error classes and their handling, API usage, timeouts and the event loop (sandbox faults)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from server.clients.errors import PermanentError, QuotaExceeded, TransientError
from server.clients.salesforce import ApiUsage
from tests.clients import grew, salesforce_client, salesforce_password_session

DATA = "/services/data"


async def connect(sandbox, **options):
    return salesforce_client(sandbox, await salesforce_password_session(sandbox), **options)


async def test_server_errors_are_retried_then_succeed(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        salesforce_sandbox.admin.fail_next(count=2, status=503, path_prefix=DATA)
        before = salesforce_sandbox.counters()
        described = await client.describe("Account")
        after = salesforce_sandbox.counters()
    assert described.name == "Account"
    assert grew(before, after, "injected_failure") == 2


async def test_a_locked_row_is_retried_then_succeeds(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        [made] = await client.create("Account", [{"Name": "Busy"}])
        salesforce_sandbox.admin.fail_next(
            count=1, status=400, errorCode="UNABLE_TO_LOCK_ROW", path_prefix=DATA
        )
        [result] = await client.update("Account", [{"Id": made.id, "Name": "Busy, renamed"}])
    assert result.success
    assert salesforce_sandbox.admin.get("Account", made.id)["Name"] == "Busy, renamed"


async def test_retries_are_bounded(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox, max_retries=2) as client:
        salesforce_sandbox.admin.fail_next(count=10, status=503, path_prefix=DATA)
        before = salesforce_sandbox.counters()
        with pytest.raises(TransientError) as failed:
            await client.describe("Account")
        after = salesforce_sandbox.counters()
    assert (failed.value.code, failed.value.status) == ("SERVER_UNAVAILABLE", 503)
    assert grew(before, after, "injected_failure") == 3  # the first try and two retries


async def test_spent_allowance_is_quota_exceeded_and_never_retried(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        salesforce_sandbox.admin.spend_allowance()
        before = salesforce_sandbox.counters()
        with pytest.raises(QuotaExceeded) as quota:
            await client.create("Account", [{"Name": "Over the limit"}])
        after = salesforce_sandbox.counters()
    assert (quota.value.code, quota.value.status) == ("REQUEST_LIMIT_EXCEEDED", 403)
    assert grew(before, after, "limit_exceeded") == 1


async def test_injected_request_limit_is_quota_exceeded(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        salesforce_sandbox.admin.fail_next(
            count=3, status=403, errorCode="REQUEST_LIMIT_EXCEEDED", path_prefix=DATA
        )
        before = salesforce_sandbox.counters()
        with pytest.raises(QuotaExceeded):
            await client.count("Account")
        after = salesforce_sandbox.counters()
    assert grew(before, after, "injected_failure") == 1


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id, NoSuchField__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM NoSuchObject", "INVALID_TYPE"),
    ],
)
async def test_bad_queries_are_permanent_and_not_retried(salesforce_sandbox, soql, code) -> None:
    async with await connect(salesforce_sandbox) as client:
        with pytest.raises(PermanentError) as refused:
            [page async for page in client.query(soql)]
        assert client.calls == 1
    assert refused.value.code == code
    assert refused.value.status == 400
    assert refused.value.message


async def test_api_usage_is_known_after_every_call(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        assert client.api_usage is None and client.calls == 0
        before = salesforce_sandbox.counters()
        await client.describe("Account")
        assert client.api_usage == usage_of(salesforce_sandbox)
        # getUpdated goes through a per-call SFType object; its usage still reaches the client.
        now = datetime.now(UTC)
        await client.updated("Account", now - timedelta(days=1), now)
        assert client.api_usage == usage_of(salesforce_sandbox)
        # Bulk 2.0 calls bypass simple-salesforce's Salesforce object altogether.
        [row async for page in client.bulk_query("SELECT Id FROM Account") for row in page]
        assert client.api_usage == usage_of(salesforce_sandbox)
        after = salesforce_sandbox.counters()
    assert client.calls == grew(before, after, "api")
    assert client.api_usage.limit == 100_000


def usage_of(sandbox) -> ApiUsage:
    usage = sandbox.admin.summary()["api_usage"]
    return ApiUsage(usage["used"], usage["limit"])


async def test_slow_calls_do_not_block_the_event_loop(salesforce_sandbox) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with await connect(salesforce_sandbox) as client:
        salesforce_sandbox.admin.faults(latency=0.5)
        task = asyncio.create_task(ticker())
        try:
            await client.describe("Account")
        finally:
            task.cancel()
    # Half a second of waiting on Salesforce left the loop free to run the ticker many times.
    assert ticks >= 10


async def test_a_call_that_outlives_its_timeout_is_a_transient_error(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox, timeout=0.2, max_retries=1) as client:
        salesforce_sandbox.admin.faults(latency=1.0)
        with pytest.raises(TransientError) as slow:
            await client.describe("Account")
    assert slow.value.code == "TIMEOUT"


async def test_a_create_that_timed_out_is_not_sent_again(salesforce_sandbox) -> None:
    latency = 0.6
    async with await connect(salesforce_sandbox, timeout=0.2, max_retries=3) as client:
        before = salesforce_sandbox.counters()
        salesforce_sandbox.admin.faults(latency=latency)
        with pytest.raises(TransientError) as slow:
            await client.create("Account", [{"Name": "Maybe written"}])
    assert slow.value.code == "TIMEOUT"
    # The request may have reached Salesforce: a retry could create the record twice. Wait
    # for the sandbox to see the request, then long enough for any repeat to land as well.
    for _ in range(100):
        if grew(before, salesforce_sandbox.counters(), "api"):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(latency * 2)
    assert grew(before, salesforce_sandbox.counters(), "api") == 1
