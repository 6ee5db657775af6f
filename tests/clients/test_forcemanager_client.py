"""The ForceManager client against the sandbox over a real socket (no mocked HTTP)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from server.clients.errors import AuthError, PermanentError, QuotaExceeded, TransientError
from server.clients.forcemanager import ForceManagerClient

ACCOUNT = {"name": "Acme", "branchId": 1, "salesRepId1": 1}


def make_client(fm, **options) -> ForceManagerClient:
    options = {"rate_limit": None, "backoff": 0.01, "max_backoff": 0.05} | options
    return ForceManagerClient(fm.url, fm.public_key, fm.private_key, **options)


@pytest.fixture
async def client(forcemanager_sandbox):
    async with make_client(forcemanager_sandbox) as fm_client:
        yield fm_client


def kinds(fm) -> dict[str, int]:
    return fm.counters()["by_kind"]


# -- sessions -------------------------------------------------------------------------------


async def test_logs_in_on_first_call_and_counts_every_call(forcemanager_sandbox, client):
    record = await client.get("accounts", 1)
    assert record["id"] == 1
    assert kinds(forcemanager_sandbox) == {"login": 1, "get accounts": 1}
    assert client.calls == 2 == forcemanager_sandbox.counters()["total"]


async def test_logs_in_again_when_the_session_expired(forcemanager_sandbox, client):
    await client.get("accounts", 1)
    forcemanager_sandbox.expire_sessions()
    assert (await client.get("accounts", 2))["id"] == 2
    assert kinds(forcemanager_sandbox) == {"login": 2, "get accounts": 3}
    assert forcemanager_sandbox.counters()["unauthorized"] == 1


async def test_concurrent_calls_share_one_new_login(forcemanager_sandbox, client):
    await client.get("accounts", 1)
    forcemanager_sandbox.expire_sessions()
    records = await asyncio.gather(*(client.get("accounts", i) for i in range(1, 6)))
    assert [r["id"] for r in records] == [1, 2, 3, 4, 5]
    assert kinds(forcemanager_sandbox)["login"] == 2


async def test_refused_keys_raise_auth_error_without_retrying(forcemanager_sandbox):
    fm = forcemanager_sandbox
    async with ForceManagerClient(fm.url, fm.public_key, "not-the-key", rate_limit=None) as bad:
        with pytest.raises(AuthError) as caught:
            await bad.get("accounts", 1)
    assert caught.value.code == "INVALID_CREDENTIALS" and caught.value.status == 401
    assert "not-the-key" not in repr(bad) and "not-the-key" not in str(caught.value)
    assert kinds(fm) == {"login": 1}


async def test_a_session_refused_twice_is_an_auth_error(forcemanager_sandbox, client):
    forcemanager_sandbox.fail(401, count=2, error="INVALID_SESSION", path_prefix="/accounts")
    with pytest.raises(AuthError) as caught:
        await client.get("accounts", 1)
    assert caught.value.status == 401
    assert kinds(forcemanager_sandbox) == {"login": 2, "get accounts": 2}


# -- reads ------------------------------------------------------------------------------------


@pytest.mark.forcemanager_sandbox(accounts=1200, deleted_share=0.05)
async def test_list_pages_through_everything(forcemanager_sandbox):
    store = forcemanager_sandbox.store
    async with make_client(forcemanager_sandbox, page_size=100) as client:
        pages = [page async for page in client.list("accounts", include_deleted=True)]
        assert len(pages) == 12 and all(len(p) == 100 for p in pages)
        assert [r["id"] for p in pages for r in p] == list(range(1, 1201))
        assert kinds(forcemanager_sandbox)["list accounts"] == 13  # the last page is empty

        live = [r async for p in client.list("accounts") for r in p]
        assert [r["id"] for r in live] == store.ids("accounts", include_deleted=False)
        assert 1100 < len(live) < 1200 and not any(r["deleted"] for r in live)


@pytest.mark.forcemanager_sandbox(accounts=1150)
async def test_list_stops_at_a_short_page_and_says_when_the_server_answered(
    forcemanager_sandbox,
):
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
    async with make_client(forcemanager_sandbox, page_size=100) as client:
        pages = [page async for page in client.list("accounts", include_deleted=True)]
        after = datetime.now(UTC)
    assert [len(p) for p in pages] == [100] * 11 + [50]
    assert [r["id"] for p in pages for r in p] == list(range(1, 1151))
    assert kinds(forcemanager_sandbox)["list accounts"] == 12  # no empty page asked for
    assert all(before <= p.server_time <= after for p in pages)


async def test_list_passes_where_and_order(forcemanager_sandbox, client):
    await client.update("accounts", 7, {"phone": "+34 1"})
    since = (await client.get("accounts", 7))["dateUpdated"]
    await client.update("accounts", 3, {"phone": "+34 2"})
    await client.update("accounts", 9, {"phone": "+34 3"})
    changed = [
        r
        async for p in client.list("accounts", where=f"dateUpdated > '{since}'", order="id DESC")
        for r in p
    ]
    assert [r["id"] for r in changed] == [9, 3]
    gone = await client.create("accounts", ACCOUNT)
    await client.delete("accounts", gone)
    deleted = [
        r
        async for p in client.list("accounts", where=f"id = {gone}", include_deleted=True)
        for r in p
    ]
    assert [r["deleted"] for r in deleted] == [True]
    assert [r async for p in client.list("accounts", where=f"id = {gone}") for r in p] == []


async def test_a_bad_filter_is_a_permanent_error(forcemanager_sandbox, client):
    with pytest.raises(PermanentError) as caught:
        async for _ in client.list("accounts", where="nonsense >"):
            pass
    assert caught.value.code == "INVALID_WHERE" and caught.value.status == 400


async def test_users_value_lists_extra_fields_and_schema(forcemanager_sandbox, client):
    users = await client.users()
    team = forcemanager_sandbox.store.ids("users")
    assert sorted(u["id"] for u in users) == team
    assert all({"name", "lastName", "email", "isActive"} <= set(u) for u in users)

    branches = await client.value_list("branches")
    assert branches[0] == {**branches[0], "id": 1, "description": "Madrid"}
    assert {c["iso2"] for c in await client.value_list("countries")} >= {"ES", "PT"}

    created = await client.create_extra_field("accounts", "Z_Tier", "list", "Tier", ["A", "B"])
    assert created["fieldName"] == "Z_Tier" and isinstance(created["id"], int)
    fields = {f["fieldName"]: f for f in await client.extra_fields("accounts")}
    assert fields["Z_Tier"]["values"] == ["A", "B"]
    with pytest.raises(PermanentError) as caught:
        await client.create_extra_field("accounts", "Z_Tier", "text")
    assert caught.value.status == 409

    schema = await client.schema("accounts")
    assert "Z_Tier" in {f["name"] for f in schema["fields"]}


# -- writes --------------------------------------------------------------------------------------


async def test_create_update_delete_one_at_a_time(forcemanager_sandbox, client):
    new_id = await client.create("accounts", ACCOUNT | {"city": "Soria"})
    assert (await client.get("accounts", new_id))["city"] == "Soria"
    await client.update("accounts", new_id, {"city": "Cuenca"})
    assert (await client.get("accounts", new_id))["city"] == "Cuenca"
    await client.delete("accounts", new_id)
    assert (await client.get("accounts", new_id))["deleted"] is True


@pytest.mark.parametrize(
    ("call", "code", "status"),
    [
        (lambda c: c.create("accounts", {"name": "x"}), "REQUIRED_FIELD_MISSING", 400),
        (lambda c: c.update("accounts", 1, {"colour": "red"}), "INVALID_FIELD", 400),
        (lambda c: c.get("accounts", 999999), "NOT_FOUND", 404),
        (lambda c: c.delete("spaceships", 1), "NOT_FOUND", 404),
    ],
)
async def test_refused_requests_are_permanent_errors_and_not_retried(
    forcemanager_sandbox, client, call, code, status
):
    with pytest.raises(PermanentError) as caught:
        await call(client)
    assert (caught.value.code, caught.value.status) == (code, status)
    assert caught.value.message
    assert client.calls == 2  # login and the one refused call


async def test_bulk_create_gives_one_result_per_record_in_input_order(forcemanager_sandbox, client):
    records = [ACCOUNT | {"name": f"Bulk {n}"} for n in range(450)]
    records[5] = {"name": "no branch"}
    records[321] = ACCOUNT | {"branchId": 4242}
    results = await client.bulk_create("accounts", records)
    assert len(results) == 450
    assert [n for n, r in enumerate(results) if not r.success] == [5, 321]
    assert results[5].error_code == "REQUIRED_FIELD_MISSING"
    assert results[5].fields == ["branchId", "salesRepId1"]
    assert results[321].error_code == "INVALID_REFERENCE" and results[321].message
    assert not results[321].transient
    for n in (0, 6, 320, 449):
        assert (await client.get("accounts", results[n].id))["name"] == f"Bulk {n}"
    assert kinds(forcemanager_sandbox)["bulk_create accounts"] == 3  # 200 + 200 + 50


async def test_bulk_update_and_delete(forcemanager_sandbox, client):
    results = await client.bulk_update(
        "accounts",
        [
            {"id": 1, "city": "Huesca"},
            {"city": "no id"},
            {"id": 999999, "city": "nowhere"},
            {"id": 2, "salesRepId1": None},
        ],
    )
    assert [r.success for r in results] == [True, False, False, False]
    assert [r.error_code for r in results] == [
        None,
        "MISSING_ID",
        "NOT_FOUND",
        "REQUIRED_FIELD_MISSING",
    ]
    assert results[0].id == 1
    assert (await client.get("accounts", 1))["city"] == "Huesca"

    deleted = await client.bulk_delete("accounts", [3, 999999, 4])
    assert [(r.id, r.success) for r in deleted] == [(3, True), (999999, False), (4, True)]
    assert (await client.get("accounts", 4))["deleted"] is True


# -- retries and pacing -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_throttling_and_server_errors_are_retried(forcemanager_sandbox, client, status):
    await client.get("accounts", 1)
    forcemanager_sandbox.fail(status, count=2, path_prefix="/accounts")
    assert (await client.get("accounts", 2))["id"] == 2
    assert kinds(forcemanager_sandbox)["get accounts"] == 4
    assert forcemanager_sandbox.counters()["faults"] == 2


async def test_retries_are_bounded_then_transient_error(forcemanager_sandbox):
    async with make_client(forcemanager_sandbox, max_retries=2) as client:
        await client.get("accounts", 1)
        forcemanager_sandbox.fail(503, count=10, error="SERVICE_UNAVAILABLE")
        with pytest.raises(TransientError) as caught:
            await client.create("accounts", ACCOUNT)
    assert (caught.value.code, caught.value.status) == ("SERVICE_UNAVAILABLE", 503)
    assert kinds(forcemanager_sandbox)["create accounts"] == 3


async def test_forbidden_is_an_auth_error(forcemanager_sandbox, client):
    forcemanager_sandbox.fail(403, count=1, error="PLAN_WITHOUT_API")
    with pytest.raises(AuthError) as caught:
        await client.get("accounts", 1)
    assert caught.value.code == "PLAN_WITHOUT_API"


async def test_a_spent_allowance_is_quota_exceeded_without_retrying(forcemanager_sandbox, client):
    await client.get("accounts", 1)
    forcemanager_sandbox.admin("PUT", "/allowance", {"remaining": 0})
    with pytest.raises(QuotaExceeded) as caught:
        await client.get("accounts", 2)
    assert caught.value.code == "API_LIMIT_EXCEEDED" and caught.value.status == 403
    assert kinds(forcemanager_sandbox)["get accounts"] == 2


async def test_connection_errors_are_retried_then_transient():
    async with ForceManagerClient(
        "http://127.0.0.1:9/api/v4", "k", "s", rate_limit=None, max_retries=1, backoff=0.01
    ) as client:
        with pytest.raises(TransientError) as caught:
            await client.get("accounts", 1)
    assert caught.value.code == "CONNECTION_ERROR"
    assert client.calls == 2


async def test_timeouts_retry_reads_but_never_resend_a_create(forcemanager_sandbox):
    async with make_client(forcemanager_sandbox, timeout=0.2, max_retries=1) as client:
        await client.login()
        forcemanager_sandbox.admin("POST", "/faults", {"latency": 1.0})
        with pytest.raises(TransientError) as read:
            await client.get("accounts", 1)
        with pytest.raises(TransientError) as write:
            await client.create("accounts", ACCOUNT)
    assert read.value.code == write.value.code == "TIMEOUT"
    counted = kinds(forcemanager_sandbox)
    assert counted["get accounts"] == 2 and counted["create accounts"] == 1


@pytest.mark.forcemanager_sandbox(rate_limit=13)
async def test_pacing_keeps_a_burst_under_the_rate_limit(forcemanager_sandbox):
    async with make_client(forcemanager_sandbox, rate_limit=13, max_retries=0) as client:
        records = await asyncio.gather(*(client.get("accounts", 1 + n % 40) for n in range(30)))
    assert len(records) == 30
    counters = forcemanager_sandbox.counters()
    assert counters["refused"] == 0
    assert counters["total"] == 31

    # The same burst without pacing is refused: the limit is real.
    async with make_client(forcemanager_sandbox, rate_limit=None, max_retries=0) as eager:
        outcomes = await asyncio.gather(
            *(eager.get("accounts", 1) for _ in range(30)), return_exceptions=True
        )
    refused = [o for o in outcomes if isinstance(o, TransientError)]
    assert refused and all(o.status == 429 for o in refused)


async def test_a_custom_transport_reaches_the_app_in_process():
    import httpx

    from sandboxes.forcemanager import PRIVATE_KEY, PUBLIC_KEY, create_sandbox

    sandbox = create_sandbox(accounts=3)
    transport = httpx.ASGITransport(app=sandbox.app)
    async with ForceManagerClient("http://fm.test/api/v4", PUBLIC_KEY, PRIVATE_KEY,
                                  rate_limit=None, transport=transport) as client:
        rows = [r async for page in client.list("accounts", include_deleted=True) for r in page]
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert sandbox.counters.snapshot()["by_kind"]["list accounts"] == 1  # a short page ends it
