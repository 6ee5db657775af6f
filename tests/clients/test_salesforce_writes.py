"""Writes through sObject Collections: chunks of 200, one result per record in request order."""

from __future__ import annotations

import pytest

from tests.clients import grew, salesforce_client, salesforce_password_session


async def connect(sandbox, **options):
    return salesforce_client(sandbox, await salesforce_password_session(sandbox), **options)


async def test_create_returns_mixed_results_in_request_order(salesforce_sandbox) -> None:
    records = [
        {"Name": "Good one"},
        {"Website": "no-name.example.com"},  # Name is required
        {"Name": "Good two", "NoSuchField__c": 1},
        {"Name": "Good three", "NumberOfEmployees": 12},
    ]
    async with await connect(salesforce_sandbox) as client:
        results = await client.create("Account", records)

    assert [r.success for r in results] == [True, False, False, True]
    missing, unknown = results[1], results[2]
    assert (missing.id, missing.error_code, missing.fields) == (
        None,
        "REQUIRED_FIELD_MISSING",
        ["Name"],
    )
    assert missing.message and not missing.transient
    assert unknown.error_code == "INVALID_FIELD"
    stored = salesforce_sandbox.admin.get("Account", results[3].id)
    assert stored["Name"] == "Good three" and stored["NumberOfEmployees"] == 12
    assert salesforce_sandbox.admin.get("Account", results[0].id)["Name"] == "Good one"


async def test_writes_go_in_chunks_of_200(make_salesforce_sandbox) -> None:
    sandbox = make_salesforce_sandbox(accounts=5)
    async with await connect(sandbox) as client:
        before = sandbox.counters()
        created = await client.create("Account", [{"Name": f"Bulk {i}"} for i in range(450)])
        middle = sandbox.counters()
        updated = await client.update(
            "Account", [{"Id": r.id, "Description": f"row {i}"} for i, r in enumerate(created)]
        )
        deleted = await client.delete([r.id for r in created])
        after = sandbox.counters()

    assert grew(before, middle, "sobject-collections") == 3
    assert grew(before, after, "sobject-collections") == 9
    assert all(r.success for r in created + updated + deleted)
    assert len({r.id for r in created}) == 450
    # Request order: the i-th result is the i-th record.
    assert [r.id for r in updated] == [r.id for r in created]
    assert [r.id for r in deleted] == [r.id for r in created]
    row = sandbox.admin.get("Account", created[321].id)
    assert row["Name"] == "Bulk 321" and row["Description"] == "row 321"
    assert sandbox.admin.summary()["records"]["Account"] == 5


async def test_update_and_delete_report_each_record(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        [one, two] = await client.create("Account", [{"Name": "One"}, {"Name": "Two"}])
        await client.delete([two.id])
        updates = await client.update(
            "Account",
            [{"Id": one.id, "Name": "One, renamed"}, {"Id": two.id, "Name": "Gone"}],
        )
        deletes = await client.delete([one.id, two.id])

    assert [(r.id, r.success, r.error_code) for r in updates] == [
        (one.id, True, None),
        (two.id, False, "ENTITY_IS_DELETED"),
    ]
    assert [(r.id, r.success, r.error_code) for r in deletes] == [
        (one.id, True, None),
        (two.id, False, "ENTITY_IS_DELETED"),
    ]


async def test_records_locked_for_a_moment_are_sent_again(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        salesforce_sandbox.admin.faults(
            record_errors={"count": 2, "errorCode": "UNABLE_TO_LOCK_ROW"}
        )
        before = salesforce_sandbox.counters()
        results = await client.create("Account", [{"Name": f"Locked {i}"} for i in range(5)])
        after = salesforce_sandbox.counters()

    assert all(r.success for r in results)
    # The first request wrote three records; the second sent only the two that were locked.
    assert grew(before, after, "sobject-collections") == 2
    names = sorted(salesforce_sandbox.admin.get("Account", r.id)["Name"] for r in results)
    assert names == [f"Locked {i}" for i in range(5)]


async def test_a_record_locked_for_good_comes_back_as_a_transient_failure(
    salesforce_sandbox,
) -> None:
    async with await connect(salesforce_sandbox, max_retries=2) as client:
        salesforce_sandbox.admin.faults(record_errors={"count": 50})
        [result] = await client.create("Account", [{"Name": "Always locked"}])
    assert not result.success
    assert result.error_code == "UNABLE_TO_LOCK_ROW" and result.transient


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("create", ("Account", [{"Name": "ok"}, "not a record"])),
        ("create", ("Account", [{"Name": "x", "attributes": {"type": "Contact"}}])),
        ("create", ("Account; DROP", [{"Name": "x"}])),
        ("update", ("Account", [{"Name": "no id"}])),
        ("update", ("Account", [{"Id": "' OR 1=1", "Name": "bad id"}])),
        ("delete", (["001000000000001AAA", "not-an-id"],)),
    ],
)
async def test_bad_input_sends_nothing(salesforce_sandbox, call, args) -> None:
    async with await connect(salesforce_sandbox) as client:
        with pytest.raises(ValueError):
            await getattr(client, call)(*args)
        assert client.calls == 0


async def test_nothing_to_write_makes_no_call(salesforce_sandbox) -> None:
    async with await connect(salesforce_sandbox) as client:
        assert await client.create("Account", []) == []
        assert await client.delete([]) == []
        assert client.calls == 0
