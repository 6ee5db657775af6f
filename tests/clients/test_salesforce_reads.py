"""Reads: describes, paged queries, change reads, replication windows, Bulk 2.0, Composite."""

from __future__ import annotations

import asyncio
import gc
import weakref
from datetime import UTC, datetime, timedelta

import pytest

from server.clients.errors import PermanentError
from server.clients.salesforce import CompositeRequest, Page, parse_datetime
from tests.clients import grew, salesforce_client, salesforce_password_session
from tests.fixtures.salesforce_sandbox import SandboxClock


async def connect(sandbox, **options):
    return salesforce_client(sandbox, await salesforce_password_session(sandbox), **options)


async def test_describes(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        objects = {s.name: s for s in await client.describe_global()}
        account = await client.describe("Account")
        with pytest.raises(PermanentError) as missing:
            await client.describe("NoSuchThing__c")

    assert objects["Account"].queryable and objects["Account"].key_prefix == "001"
    fields = {f.name: f for f in account.fields}
    assert fields["Name"].type == "string" and not fields["Name"].custom
    assert fields["Name"].createable and fields["Name"].updateable
    assert fields["Id"].type == "id" and not fields["Id"].createable
    assert fields["OwnerId"].reference_to == ["User"]
    priority = fields["CustomerPriority__c"]
    assert priority.custom and priority.type == "picklist"
    assert priority.picklist_values == ["High", "Low", "Medium"]
    assert missing.value.code == "NOT_FOUND"


async def test_query_follows_next_records_url_page_by_page(make_salesforce_sandbox) -> None:
    sandbox = make_salesforce_sandbox(accounts=450)
    async with await connect(sandbox) as client:
        before = client.calls
        pages = [
            page async for page in client.query("SELECT Id, Name FROM Account", batch_size=200)
        ]
        calls = client.calls - before

    assert [len(p) for p in pages] == [200, 200, 50]
    assert calls == 3
    assert all(isinstance(p, Page) and p.total_size == 450 for p in pages)
    ids = [r["Id"] for p in pages for r in p]
    assert len(set(ids)) == 450
    assert all(set(r) == {"Id", "Name"} for p in pages for r in p)  # no "attributes"


async def test_a_read_holds_one_page_at_a_time(make_salesforce_sandbox) -> None:
    sandbox = make_salesforce_sandbox(accounts=450)
    async with await connect(sandbox) as client:
        pages = client.query("SELECT Id FROM Account", batch_size=200)
        first = await anext(pages)
        first_refs = [weakref.ref(first), weakref.ref(first[0])]
        del first
        # While the next page is on its way (slow answers), the previous one is already gone.
        sandbox.admin.faults(latency=0.5)
        fetching = asyncio.create_task(anext(pages))
        for _ in range(5):
            await asyncio.sleep(0)
        gc.collect()
        assert not fetching.done()
        assert [ref() for ref in first_refs] == [None, None]
        second = await fetching
        second_refs = [weakref.ref(second), weakref.ref(second[-1])]
        del second, fetching
        sandbox.admin.clear_faults()
        third = await anext(pages)
        gc.collect()
        assert [ref() for ref in second_refs] == [None, None]
        assert len(third) == 50
        await pages.aclose()


async def test_query_all_includes_deleted_rows(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        [page] = [p async for p in client.query("SELECT Id FROM Account ORDER BY Id LIMIT 1")]
        gone = page[0]["Id"]
        salesforce_sandbox.admin.delete("Account", gone)
        text = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{gone}'"
        live = [r async for p in client.query(text) for r in p]
        every = [r async for p in client.query(text, include_deleted=True) for r in p]
    assert live == []
    assert every == [{"Id": gone, "IsDeleted": True}]


async def test_query_changes_pages_on_modstamp_then_id(make_salesforce_sandbox) -> None:
    clock = SandboxClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    sandbox = make_salesforce_sandbox(accounts=10, clock=clock)
    async with await connect(sandbox) as client:
        seeded = [r async for p in client.query_changes("Account", ["Name"], None) for r in p]
        cursor = (parse_datetime(seeded[-1]["SystemModstamp"]), seeded[-1]["Id"])

        clock.advance(minutes=5)
        # Twelve records in the same second: one SystemModstamp, told apart by Id only.
        created = await client.create("Account", [{"Name": f"Same second {i}"} for i in range(12)])
        assert all(r.success for r in created)

        pages = [p async for p in client.query_changes("Account", ["Name"], cursor, batch_size=5)]
        changed = [r for p in pages for r in p]

        # Resuming from the middle of the tie neither skips nor repeats a record.
        middle = (parse_datetime(changed[6]["SystemModstamp"]), changed[6]["Id"])
        rest = [r async for p in client.query_changes("Account", ["Name"], middle) for r in p]

        clock.advance(minutes=1)
        await client.update("Account", [{"Id": changed[0]["Id"], "Name": "Edited"}])
        last = (parse_datetime(changed[-1]["SystemModstamp"]), changed[-1]["Id"])
        after_edit = [r async for p in client.query_changes("Account", ["Name"], last) for r in p]

    assert len(seeded) == 10
    keys = [(parse_datetime(r["SystemModstamp"]), r["Id"]) for r in seeded]
    assert keys == sorted(keys)
    assert [len(p) for p in pages] == [5, 5, 2]
    assert len({r["SystemModstamp"] for r in changed}) == 1
    assert sorted(r["Id"] for r in changed) == sorted(r.id for r in created)
    assert [r["Id"] for r in changed] == sorted(r["Id"] for r in changed)
    assert [r["Id"] for r in rest] == [r["Id"] for r in changed[7:]]
    assert [(r["Id"], r["Name"]) for r in after_edit] == [(changed[0]["Id"], "Edited")]


async def test_query_changes_with_deletions(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        rows = [r async for p in client.query_changes("Account", ["Name"], None) for r in p]
        cursor = (parse_datetime(rows[-1]["SystemModstamp"]), rows[-1]["Id"])
        await client.delete([rows[0]["Id"]])
        live = [r async for p in client.query_changes("Account", ["IsDeleted"], cursor) for r in p]
        every = [
            r
            async for p in client.query_changes(
                "Account", ["IsDeleted"], cursor, include_deleted=True
            )
            for r in p
        ]
    assert live == []
    assert [(r["Id"], r["IsDeleted"]) for r in every] == [(rows[0]["Id"], True)]


async def test_updated_and_deleted_windows(make_salesforce_sandbox) -> None:
    clock = SandboxClock(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC))
    sandbox = make_salesforce_sandbox(accounts=5, clock=clock)
    start = clock.now
    async with await connect(sandbox) as client:
        clock.advance(minutes=2)
        [made] = await client.create("Account", [{"Name": "New in the window"}])
        [page] = [p async for p in client.query("SELECT Id FROM Account ORDER BY Id LIMIT 1")]
        await client.delete([page[0]["Id"]])
        clock.advance(minutes=3)
        end = clock.now

        updated = await client.updated("Account", start, end)
        deleted = await client.deleted("Account", start, end)
        with pytest.raises(ValueError, match="timezone-aware"):
            await client.updated("Account", start.replace(tzinfo=None), end)
        with pytest.raises(PermanentError) as too_old:
            await client.deleted("Account", start - timedelta(days=40), end)

    assert updated.ids == [made.id]
    assert updated.latest_date_covered == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert [rid for rid, _ in deleted.records] == [page[0]["Id"]]
    deleted_at = deleted.records[0][1]
    assert deleted_at.tzinfo is not None and start < deleted_at < end
    assert deleted.earliest_date_available is not None
    assert deleted.earliest_date_available.tzinfo is not None
    assert too_old.value.code == "INVALID_REPLICATION_DATE"


async def test_bulk_query_reads_csv_pages(make_salesforce_sandbox) -> None:
    sandbox = make_salesforce_sandbox(accounts=120)
    async with await connect(sandbox) as client:
        pages = [
            p
            async for p in client.bulk_query(
                "SELECT Id, Name, NumberOfEmployees FROM Account", page_size=50
            )
        ]
    assert [len(p) for p in pages] == [50, 50, 20]
    assert all(p.total_size == 120 for p in pages)
    rows = [r for p in pages for r in p]
    assert len({r["Id"] for r in rows}) == 120
    assert all(set(r) == {"Id", "Name", "NumberOfEmployees"} for r in rows)
    assert all(isinstance(r["NumberOfEmployees"], (str, type(None))) for r in rows)  # CSV text


async def test_read_all_switches_to_bulk_above_the_threshold(make_salesforce_sandbox) -> None:
    sandbox = make_salesforce_sandbox(accounts=60)
    fields = ["Id", "Name", "NumberOfEmployees", "Active__c"]
    async with await connect(sandbox, bulk_threshold=50) as client:
        before = sandbox.counters()
        bulk_rows = [r async for p in client.read_all("Account", fields) for r in p]
        middle = sandbox.counters()
        client.bulk_threshold = 1000
        rest_rows = [r async for p in client.read_all("Account", fields) for r in p]
        after = sandbox.counters()

    assert grew(before, middle, "bulk") >= 3  # create, poll, results
    assert grew(middle, after, "bulk") == 0
    # The same records, with the same JSON types, whichever API served them.
    assert sorted(bulk_rows, key=lambda r: r["Id"]) == sorted(rest_rows, key=lambda r: r["Id"])
    assert len(rest_rows) == 60


async def test_active_users(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        users = await client.active_users()
        everyone = [r async for p in client.query("SELECT Id, IsActive FROM User") for r in p]
    assert users
    assert set(users[0]) == {"Id", "Name", "FirstName", "LastName", "Email", "IsActive"}
    assert {u["Id"] for u in users} == {u["Id"] for u in everyone if u["IsActive"]}


async def test_composite_answers_in_request_order_in_one_call(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        before = salesforce_sandbox.counters()
        answers = await client.composite(
            [
                CompositeRequest("GET", "query?q=SELECT+COUNT()+FROM+Account", "accounts"),
                CompositeRequest("GET", "sobjects/Nope__c/describe", "missing"),
                CompositeRequest("GET", "query?q=SELECT+Id+FROM+User+LIMIT+2", "users"),
            ]
        )
        after = salesforce_sandbox.counters()
        with pytest.raises(ValueError, match="25"):
            await client.composite([CompositeRequest("GET", "limits", f"r{i}") for i in range(26)])
    assert grew(before, after, "api") == 1
    assert [a.reference_id for a in answers] == ["accounts", "missing", "users"]
    assert answers[0].ok and answers[0].body["totalSize"] == 30
    assert answers[1].status == 404 and not answers[1].ok
    assert answers[1].body[0]["errorCode"] == "NOT_FOUND"
    assert len(answers[2].body["records"]) == 2


async def test_count_changes_in_one_call(make_salesforce_sandbox) -> None:
    clock = SandboxClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    sandbox = make_salesforce_sandbox(accounts=8, clock=clock)
    async with await connect(sandbox) as client:
        since = clock.advance(minutes=1)
        clock.advance(seconds=1)
        made = await client.create("Account", [{"Name": "A"}, {"Name": "B"}])
        [contact] = [p async for p in client.query("SELECT Id FROM Contact LIMIT 1")]
        await client.delete([contact[0]["Id"]])
        before = sandbox.counters()
        counts = await client.count_changes(
            ["Account", "Contact", "Opportunity"],
            {"Account": since, "Contact": since, "Opportunity": since},
        )
        everything = await client.count_changes(["Account"], {})
        after = sandbox.counters()
    assert all(r.success for r in made)
    assert counts == {"Account": 2, "Contact": 1, "Opportunity": 0}  # the deletion counts
    assert everything == {"Account": 10}
    assert grew(before, after, "api") == 2


async def test_count_changes_on_an_unknown_object_is_a_permanent_error(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        with pytest.raises(PermanentError) as refused:
            await client.count_changes(["Account", "NoSuchThing__c"], {})
    assert refused.value.code == "INVALID_TYPE"


async def test_a_bulk_query_salesforce_refuses_is_a_permanent_error(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        with pytest.raises(PermanentError) as refused:
            [p async for p in client.bulk_query("SELECT Id, NoSuchField__c FROM Account")]
    assert refused.value.code == "INVALID_FIELD"
