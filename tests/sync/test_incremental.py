"""Incremental ticks after the initial load, end to end against both sandboxes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from server.clients.forcemanager import ForceManagerClient
from server.entities import Direction, Entity, Flow
from server.models import RunKind, RunStatus, SyncAction, SyncCursor, SyncStatus
from tests.sync.conftest import World, connect_org
from workers.sync import apply, incremental
from workers.sync import run as run_module


async def _loaded(world: World) -> tuple[dict, dict]:
    """Run the initial load; return one linked Salesforce account and its FM twin."""
    run = await world.sync()
    assert run.status is RunStatus.SUCCESS, run.reason
    account = next(a for a in world.sf_records("Account") if not a["IsDeleted"])
    link = await world.link(Entity.ACCOUNT, account["Id"])
    twin = await world.fm_client.get("accounts", link.forcemanager_id)
    return account, twin


async def test_a_tick_with_no_changes_writes_and_logs_nothing(world: World) -> None:
    await _loaded(world)
    first = await world.sync()  # reads back what the load wrote: all echoes
    assert first.kind is RunKind.INCREMENTAL and first.status is RunStatus.SUCCESS
    assert await world.log(first) == []
    fm_before = world.fm.counters()
    second = await world.sync()
    assert second.status is RunStatus.SUCCESS
    assert await world.log(second) == []
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert second.salesforce_calls == 1  # the Composite probe, nothing else
    fm_after = world.fm.counters()
    writes = {k: v for k, v in fm_after.items() if k.startswith(("POST", "PUT", "DELETE"))
              and v != fm_before.get(k)}
    assert writes == {}, writes


async def test_an_idle_tick_reads_one_short_page_per_forcemanager_resource(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However much the previous tick read, the next one with nothing new costs one list
    call per bidirectional resource (the session is the last run's): it starts from the
    previous read's time on ForceManager's clock, not from before the newest change it
    saw."""
    monkeypatch.setattr(incremental, "FM_SETTLED", timedelta(0))  # not waited out here
    make_client = run_module.forcemanager_client

    async def small_pages(org_id: int) -> ForceManagerClient:
        client = await make_client(org_id)
        client.page_size = 2  # what the load wrote spans many pages
        return client

    monkeypatch.setattr(run_module, "forcemanager_client", small_pages)
    await _loaded(world)
    await asyncio.sleep(4)  # the load ends well before the Date header's (late) seconds
    first = await world.sync()  # reads the load back: many pages
    assert first.status is RunStatus.SUCCESS and first.forcemanager_calls > 1 + 3 * 2
    idle = await world.sync()
    assert idle.status is RunStatus.SUCCESS and await world.log(idle) == []
    assert idle.forcemanager_calls == 3  # accounts, contacts, opportunities
    assert idle.salesforce_calls == 1


async def test_salesforce_edit_flows_to_forcemanager(world: World) -> None:
    account, twin = await _loaded(world)
    world.sf.admin.edit("Account", account["Id"], {"Phone": "+34 911 000 111",
                                                   "BillingCity": "Sevilla"})
    run = await world.sync()
    fresh = await world.fm_client.get("accounts", twin["id"])
    assert fresh["phone"] == "+34 911 000 111" and fresh["city"] == "Sevilla"
    [entry] = await world.log(run)
    assert (entry.action, entry.direction, entry.status) == (
        SyncAction.UPDATED, Flow.SALESFORCE_TO_FORCEMANAGER, SyncStatus.SUCCESS)
    assert entry.salesforce_id == account["Id"] and entry.forcemanager_id == twin["id"]
    assert entry.record_name == account["Name"]
    assert await world.log(await world.sync()) == []  # and nothing echoes back


async def test_forcemanager_edit_flows_to_salesforce(world: World) -> None:
    account, twin = await _loaded(world)
    world.fm.edit("accounts", twin["id"], {"website": "https://changed.example"})
    run = await world.sync()
    assert world.sf.admin.get("Account", account["Id"])["Website"] == "https://changed.example"
    [entry] = await world.log(run)
    assert (entry.action, entry.direction) == (SyncAction.UPDATED,
                                               Flow.FORCEMANAGER_TO_SALESFORCE)
    assert await world.log(await world.sync()) == []


async def test_conflict_salesforce_wins_field_by_field_and_the_loser_is_logged(
    world: World,
) -> None:
    account, twin = await _loaded(world)
    world.fm.edit("accounts", twin["id"], {"phone": "FM-PHONE", "website": "https://fm.example"})
    world.sf.admin.edit("Account", account["Id"], {"Phone": "SF-PHONE"})
    run = await world.sync()
    fresh = await world.fm_client.get("accounts", twin["id"])
    sf_now = world.sf.admin.get("Account", account["Id"])
    assert fresh["phone"] == "SF-PHONE" and sf_now["Phone"] == "SF-PHONE"
    # The field changed only in ForceManager still flows to Salesforce.
    assert sf_now["Website"] == "https://fm.example"
    entries = await world.log(run)
    to_fm = next(e for e in entries if e.direction is Flow.SALESFORCE_TO_FORCEMANAGER)
    assert to_fm.conflicts == {"Phone": {"salesforce": "SF-PHONE", "forcemanager": "FM-PHONE"}}
    assert any(e.direction is Flow.FORCEMANAGER_TO_SALESFORCE for e in entries)
    assert await world.log(await world.sync()) == []


async def test_creations_flow_both_ways(world: World) -> None:
    await _loaded(world)
    owner = next(iter(world.matches))
    sf_id = world.sf.admin.create("Account", {"Name": "Nueva SA", "OwnerId": owner})
    fm_user = world.matches[owner]
    fm_id = world.fm.create("accounts", {"name": "Creada en FM", "branchId": 1,
                                         "salesRepId1": fm_user})["id"]
    run = await world.sync()
    entries = await world.log(run)
    assert {(e.action, e.direction) for e in entries} == {
        (SyncAction.CREATED, Flow.SALESFORCE_TO_FORCEMANAGER),
        (SyncAction.CREATED, Flow.FORCEMANAGER_TO_SALESFORCE),
    }
    twin = (await world.link(Entity.ACCOUNT, sf_id)).forcemanager_id
    assert (await world.fm_client.get("accounts", twin))["name"] == "Nueva SA"
    made = next(e for e in entries if e.direction is Flow.FORCEMANAGER_TO_SALESFORCE)
    assert made.forcemanager_id == fm_id
    created_sf = world.sf.admin.get("Account", made.salesforce_id)
    assert created_sf["Name"] == "Creada en FM" and created_sf["OwnerId"] == owner
    assert (await world.fm_client.get("accounts", fm_id))["extId"] == made.salesforce_id
    assert await world.log(await world.sync()) == []


async def test_deletions_flow_both_ways(world: World) -> None:
    await _loaded(world)
    accounts = [a for a in world.sf_records("Account") if not a["IsDeleted"]]
    gone_in_sf, gone_in_fm = accounts[0], accounts[1]
    fm_twin = (await world.link(Entity.ACCOUNT, gone_in_fm["Id"])).forcemanager_id
    sf_twin = (await world.link(Entity.ACCOUNT, gone_in_sf["Id"])).forcemanager_id
    world.sf.admin.delete("Account", gone_in_sf["Id"])
    world.fm.delete("accounts", fm_twin)
    run = await world.sync()
    assert (await world.fm_client.get("accounts", sf_twin))["deleted"] is True
    assert world.sf.admin.get("Account", gone_in_fm["Id"])["IsDeleted"] is True
    deletions = [e for e in await world.log(run) if e.entity == "ACCOUNT"]
    assert {(e.action, e.direction, e.salesforce_id) for e in deletions} == {
        (SyncAction.DELETED, Flow.SALESFORCE_TO_FORCEMANAGER, gone_in_sf["Id"]),
        (SyncAction.DELETED, Flow.FORCEMANAGER_TO_SALESFORCE, gone_in_fm["Id"]),
    }
    assert (await world.link(Entity.ACCOUNT, gone_in_sf["Id"])).deleted
    later = await world.sync()
    assert [e for e in await world.log(later) if e.entity == "ACCOUNT"] == []


async def test_deleted_in_forcemanager_but_edited_in_salesforce_comes_back(
    world: World,
) -> None:
    account, twin = await _loaded(world)
    world.fm.delete("accounts", twin["id"])
    world.sf.admin.edit("Account", account["Id"], {"Description": "still a customer"})
    run = await world.sync()
    link = await world.link(Entity.ACCOUNT, account["Id"])
    assert link.forcemanager_id != twin["id"] and not link.deleted
    back = await world.fm_client.get("accounts", link.forcemanager_id)
    assert back["deleted"] is False and back["comment"] == "still a customer"
    assert world.sf.admin.get("Account", account["Id"])["IsDeleted"] is False
    [entry] = [e for e in await world.log(run) if e.entity == "ACCOUNT"]
    assert (entry.action, entry.direction) == (SyncAction.CREATED,
                                               Flow.SALESFORCE_TO_FORCEMANAGER)


async def test_deleted_in_salesforce_but_edited_in_forcemanager_is_deleted(
    world: World,
) -> None:
    account, twin = await _loaded(world)
    world.fm.edit("accounts", twin["id"], {"phone": "555"})
    world.sf.admin.delete("Account", account["Id"])
    run = await world.sync()
    assert (await world.fm_client.get("accounts", twin["id"]))["deleted"] is True
    entries = [e for e in await world.log(run) if e.entity == "ACCOUNT"]
    assert [(e.action, e.direction) for e in entries] == [
        (SyncAction.DELETED, Flow.SALESFORCE_TO_FORCEMANAGER)]


async def test_deletions_purged_unseen_are_found_by_a_full_reconciliation(
    world: World,
) -> None:
    await _loaded(world)
    await world.sync()  # marks the last complete read
    account = next(a for a in world.sf_records("Account") if not a["IsDeleted"])
    twin = (await world.link(Entity.ACCOUNT, account["Id"])).forcemanager_id
    # Deleted and purged from the recycle bin while nobody was syncing.
    world.sf.store.table("Account").drop(account["Id"])
    assert await world.log(await world.sync()) == []  # the change feed cannot see it
    row = await SyncCursor.get(organization_id=world.org_id, entity="ACCOUNT",
                               side="SALESFORCE")
    row.state = {**row.state, "checked_at": (datetime.now(UTC) - timedelta(days=20)).isoformat()}
    await row.save()

    run = await world.sync()

    [entry] = await world.log(run)
    assert (entry.action, entry.salesforce_id) == (SyncAction.DELETED, account["Id"])
    assert (await world.fm_client.get("accounts", twin))["deleted"] is True
    assert await world.log(await world.sync()) == []


async def test_one_way_entities_never_write_to_salesforce(
    db, redis, make_salesforce_sandbox, forcemanager_sandbox, monkeypatch  # noqa: ANN001
) -> None:
    sf = make_salesforce_sandbox(accounts=3, contacts=3, opportunities=0, tasks=0, events=0,
                                 products=0)
    world = await connect_org(
        sf, forcemanager_sandbox, redis,
        {Entity.ACCOUNT: Direction.SALESFORCE_TO_FORCEMANAGER,
         Entity.CONTACT: Direction.SALESFORCE_TO_FORCEMANAGER},
        monkeypatch,
    )
    try:
        account, twin = await _loaded(world)
        world.fm.edit("accounts", twin["id"], {"website": "https://fm-only.example"})
        world.fm.create("accounts", {"name": "Only in FM", "branchId": 1,
                                     "salesRepId1": world.fallback_user})
        sf_before = world.sf_records("Account")
        run = await world.sync()
        assert await world.log(run) == []
        assert world.sf_records("Account") == sf_before  # Salesforce untouched
        # A later Salesforce edit of that field wins in ForceManager.
        world.sf.admin.edit("Account", account["Id"], {"Website": "https://sf.example"})
        await world.sync()
        assert (await world.fm_client.get("accounts", twin["id"]))["website"] == (
            "https://sf.example"
        )
    finally:
        await world.fm_client.aclose()


async def test_edit_in_forcemanager_of_a_record_salesforce_deleted_meanwhile(
    world: World,
) -> None:
    await _loaded(world)
    opportunity = next(o for o in world.sf_records("Opportunity")
                       if not o["IsDeleted"] and o["AccountId"])
    account_twin = (await world.link(Entity.ACCOUNT, opportunity["AccountId"])).forcemanager_id
    opp_twin = (await world.link(Entity.OPPORTUNITY, opportunity["Id"])).forcemanager_id
    # Deleting the account in ForceManager deletes it in Salesforce, which takes its
    # opportunities along, while someone edits one of them in ForceManager.
    world.fm.delete("accounts", account_twin)
    world.fm.edit("opportunities", opp_twin, {"total": 123.0})

    run = await world.sync()

    assert world.sf.admin.get("Opportunity", opportunity["Id"])["IsDeleted"] is True
    assert (await world.fm_client.get("opportunities", opp_twin))["deleted"] is True
    entries = [e for e in await world.log(run) if e.entity == "OPPORTUNITY"]
    assert [(e.action, e.direction, e.status) for e in entries] == [
        (SyncAction.DELETED, Flow.SALESFORCE_TO_FORCEMANAGER, SyncStatus.SUCCESS)]
    assert (await world.link(Entity.OPPORTUNITY, opportunity["Id"])).deleted


def _collection_calls(world: World) -> int:
    return int(world.sf.counters().get("sobject-collections", 0))


def _bulk_updates(world: World) -> int:
    return int(world.fm.counters()["by_kind"].get("bulk_update accounts", 0))


async def test_a_ticks_writes_share_full_requests_wherever_the_changes_are_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """N writes of a kind take ⌈N/BATCH⌉ requests: records changed in ForceManager that the
    Salesforce read pairs (the row at the cursor, read again for the overlap; a record
    edited on both sides) go out with ForceManager's other changes, not in a request per
    chunk of rows read."""
    monkeypatch.setattr(apply, "BATCH", 2)
    await _loaded(world)
    await world.sync()  # settles the cursors
    accounts = sorted((a for a in world.sf_records("Account") if not a["IsDeleted"]),
                      key=lambda a: (a["SystemModstamp"], a["Id"]))
    at_cursor, both, sf_only, fm_only = accounts[-1], accounts[0], accounts[1], accounts[2]
    for n, account in enumerate((both, sf_only)):
        world.sf.admin.edit("Account", account["Id"], {"Phone": f"+34 911 000 00{n}"})
    for n, account in enumerate((at_cursor, both, fm_only)):
        twin = (await world.link(Entity.ACCOUNT, account["Id"])).forcemanager_id
        world.fm.edit("accounts", twin, {"website": f"https://w{n}.example"})
    collections, bulk_updates = _collection_calls(world), _bulk_updates(world)

    run = await world.sync()

    # Read in chunks of two: [the cursor's row, both], [sf_only]; then fm_only alone.
    assert _collection_calls(world) - collections == 2  # 3 updates to Salesforce
    assert _bulk_updates(world) - bulk_updates == 1  # 2 updates to ForceManager
    for n, account in enumerate((at_cursor, both, fm_only)):
        assert world.sf.admin.get("Account", account["Id"])["Website"] == f"https://w{n}.example"
    for n, account in enumerate((both, sf_only)):
        twin = (await world.link(Entity.ACCOUNT, account["Id"])).forcemanager_id
        assert (await world.fm_client.get("accounts", twin))["phone"] == f"+34 911 000 00{n}"
    entries = [e for e in await world.log(run) if e.entity == "ACCOUNT"]
    assert sorted((e.direction.value, e.salesforce_id) for e in entries) == sorted(
        [(Flow.FORCEMANAGER_TO_SALESFORCE.value, a["Id"]) for a in (at_cursor, both, fm_only)]
        + [(Flow.SALESFORCE_TO_FORCEMANAGER.value, a["Id"]) for a in (both, sf_only)]
    )
    assert all(e.status is SyncStatus.SUCCESS for e in entries)
    assert await world.log(await world.sync()) == []  # and nothing echoes back


async def test_edited_on_both_sides_a_failed_write_to_salesforce_is_sent_again(
    world: World,
) -> None:
    """The two writes of a record edited on both sides may go in different requests: the
    one that succeeds must not store the other's fields as synced."""
    account, twin = await _loaded(world)
    world.sf.admin.edit("Account", account["Id"], {"Phone": "SF-PHONE"})
    world.fm.edit("accounts", twin["id"], {"website": "https://fm.example"})
    world.sf.admin.faults(
        record_errors={"count": 1, "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    )
    run = await world.sync()
    assert (await world.fm_client.get("accounts", twin["id"]))["phone"] == "SF-PHONE"
    assert world.sf.admin.get("Account", account["Id"])["Website"] != "https://fm.example"
    assert [e.status for e in await world.log(run)
            if e.direction is Flow.FORCEMANAGER_TO_SALESFORCE] == [SyncStatus.ERROR]

    again = await world.sync()
    assert world.sf.admin.get("Account", account["Id"])["Website"] == "https://fm.example"
    assert [(e.direction, e.status) for e in await world.log(again)] == [
        (Flow.FORCEMANAGER_TO_SALESFORCE, SyncStatus.SUCCESS)]
    assert await world.log(await world.sync()) == []


async def test_the_salesforce_cursor_waits_for_the_writes_its_rows_decided(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write waiting for a full request holds the cursor before its row: a run that dies
    before sending it reads the row again."""
    monkeypatch.setattr(apply, "BATCH", 2)
    await _loaded(world)
    await world.sync()
    edited = [a for a in world.sf_records("Account") if not a["IsDeleted"]][:3]
    for account in edited:
        world.sf.admin.edit("Account", account["Id"], {"Phone": "+34 911 222 333"})

    async def dies(self: incremental.Writes) -> None:
        raise RuntimeError("the worker dies")

    flush = incremental.Writes.flush
    monkeypatch.setattr(incremental.Writes, "flush", dies)
    run = await world.sync()
    assert run.status is RunStatus.FAILED
    cursor = await SyncCursor.get(organization_id=world.org_id, entity="ACCOUNT",
                                  side="SALESFORCE")
    at = incremental.cursors.salesforce(cursor.value)
    assert at is not None
    behind = []
    for account in edited:
        twin = (await world.link(Entity.ACCOUNT, account["Id"])).forcemanager_id
        if (await world.fm_client.get("accounts", twin))["phone"] != "+34 911 222 333":
            row = world.sf.admin.get("Account", account["Id"])
            behind.append((incremental.parse_datetime(row["SystemModstamp"]), row["Id"]))
    assert len(behind) == 1  # two went out in a full request, the third was waiting
    assert behind[0] > at

    monkeypatch.setattr(incremental.Writes, "flush", flush)
    await world.sync()
    for account in edited:
        twin = (await world.link(Entity.ACCOUNT, account["Id"])).forcemanager_id
        assert (await world.fm_client.get("accounts", twin))["phone"] == "+34 911 222 333"
