"""The initial replacement, end to end against both sandboxes through the real clients."""

from __future__ import annotations

import json

from server.entities import Direction, Entity
from server.events import progress_stream
from server.models import (
    Backup,
    BackupRecord,
    Integration,
    IntegrationState,
    RecordLink,
    RunStatus,
    SyncAction,
)
from tests.sync.conftest import World, connect_org


async def test_initial_load_replaces_forcemanager_data_with_salesforce(world: World) -> None:
    fm_accounts_before = {a["id"]: a["name"] for a in await world.fm_records("accounts")}
    assert fm_accounts_before

    run = await world.sync()

    assert run.status is RunStatus.SUCCESS, run.reason
    integration = await Integration.get(organization_id=world.org_id)
    assert integration.state is IntegrationState.ACTIVE and integration.next_run_at
    # The previous ForceManager data is gone from ForceManager but kept, whole, in a backup.
    backup = await Backup.get(organization_id=world.org_id)
    assert backup.complete and set(backup.resources) == {"accounts", "contacts",
                                                         "opportunities"}
    kept = await BackupRecord.filter(backup_id=backup.id, resource="accounts")
    assert {r.forcemanager_id: r.data["name"] for r in kept} == fm_accounts_before

    sf_accounts = [a for a in world.sf_records("Account") if not a["IsDeleted"]]
    fm_accounts = await world.fm_records("accounts")
    assert sorted(a["extId"] for a in fm_accounts) == sorted(a["Id"] for a in sf_accounts)
    by_ext = {a["extId"]: a for a in fm_accounts}
    flagged = 0
    for account in sf_accounts:
        twin = by_ext[account["Id"]]
        assert twin["name"] == account["Name"]
        assert (twin["city"] or None) == (account["BillingCity"] or None)
        assert (twin["phone"] or None) == (account["Phone"] or None)
        assert (twin["comment"] or None) == (account["Description"] or None)
        owner = twin["salesRepId1"]["id"]
        if account["OwnerId"] in world.matches:
            assert owner == world.matches[account["OwnerId"]]
        else:
            assert owner == world.fallback_user
            flagged += 1
        link = await world.link(Entity.ACCOUNT, account["Id"])
        assert link.forcemanager_id == twin["id"]
        assert link.owner_fallback is (account["OwnerId"] not in world.matches)

    # Contacts hang from the ForceManager twin of their Salesforce account.
    fm_contacts = await world.fm_records("contacts")
    sf_contacts = [c for c in world.sf_records("Contact") if not c["IsDeleted"]]
    assert len(fm_contacts) == len(sf_contacts)
    account_twin = {a["Id"]: by_ext[a["Id"]]["id"] for a in sf_accounts}
    for contact in fm_contacts:
        source = next(c for c in sf_contacts if c["Id"] == contact["extId"])
        assert contact["lastName"] == source["LastName"]
        if source["AccountId"]:
            assert contact["accountId"]["id"] == account_twin[source["AccountId"]]
    fm_opps = await world.fm_records("opportunities")
    assert len(fm_opps) == len([o for o in world.sf_records("Opportunity")
                                if not o["IsDeleted"]])

    # Custom fields became extra fields, with their values.
    extra = {f["fieldName"]: f["type"] for f in await world.fm_client.extra_fields("accounts")}
    assert extra["Z_NumberofLocations"] == "decimal"
    assert extra["Z_SLA"] == "list" and extra["Z_Segments"] == "multivalue"
    assert extra["Z_Verified"] == "bit" and extra["Z_SLAExpirationDate"] == "datetime"
    for account in sf_accounts:
        assert by_ext[account["Id"]]["Z_NumberofLocations"] == account["NumberofLocations__c"]

    # One log entry per created record; owner fallbacks are flagged in it.
    entries = await world.log(run)
    created = [e for e in entries if e.action is SyncAction.CREATED]
    assert len(created) == len(sf_accounts) + len(sf_contacts) + len(fm_opps)
    assert sum(e.owner_fallback for e in entries if e.entity == "ACCOUNT") == flagged
    assert flagged > 0, "the seeded teams leave some Salesforce owners unmatched"
    assert await RecordLink.filter(organization_id=world.org_id).count() == len(created)
    assert run.progress["ACCOUNT"] == {"processed": len(sf_accounts), "total": len(sf_accounts)}


async def test_activities_and_products_load_with_their_parents(
    db, redis, make_salesforce_sandbox, forcemanager_sandbox, monkeypatch  # noqa: ANN001
) -> None:
    sf = make_salesforce_sandbox(accounts=4, contacts=4, opportunities=2, tasks=4, events=2,
                                 products=3)
    world = await connect_org(
        sf, forcemanager_sandbox, redis,
        {Entity.ACCOUNT: Direction.BIDIRECTIONAL, Entity.CONTACT: Direction.BIDIRECTIONAL,
         Entity.OPPORTUNITY: Direction.BIDIRECTIONAL,
         Entity.TASK: Direction.BIDIRECTIONAL, Entity.EVENT: Direction.SALESFORCE_TO_FORCEMANAGER,
         Entity.PRODUCT: Direction.SALESFORCE_TO_FORCEMANAGER},
        monkeypatch,
    )
    try:
        run = await world.sync()
        assert run.status is RunStatus.SUCCESS, run.reason
        tasks = [t for t in world.sf_records("Task") if not t["IsDeleted"]]
        events = [e for e in world.sf_records("Event") if not e["IsDeleted"]]
        activities = {a["extId"]: a for a in await world.fm_records("activities")}
        assert sorted(activities) == sorted(r["Id"] for r in tasks + events)
        contact_twin = {
            c["Id"]: (await world.link(Entity.CONTACT, c["Id"])).forcemanager_id
            for c in world.sf_records("Contact") if not c["IsDeleted"]
        }
        parent_twin = {
            r["Id"]: (await world.link(entity, r["Id"])).forcemanager_id
            for entity, sobject in ((Entity.ACCOUNT, "Account"),
                                    (Entity.OPPORTUNITY, "Opportunity"))
            for r in world.sf_records(sobject) if not r["IsDeleted"]
        }
        whats = set()
        for task in tasks:
            twin = activities[task["Id"]]
            assert twin["subject"] == task["Subject"]
            assert twin["typeId"]["value"] == "Task"
            if task["WhoId"]:
                assert twin["contactId"]["id"] == contact_twin[task["WhoId"]]
            what = task["WhatId"]
            if what:
                field = "opportunityId" if what.startswith("006") else "accountId"
                assert twin[field]["id"] == parent_twin[what]
                whats.add(field)
        assert whats == {"accountId", "opportunityId"}  # the seed has tasks on both kinds
        for event in events:
            assert activities[event["Id"]]["typeId"]["value"] == "Meeting"
        products = await world.fm_records("products")
        assert sorted(p["name"] for p in products) == sorted(
            p["Name"] for p in world.sf_records("Product2") if not p["IsDeleted"])
        # Progress was published per entity, between STARTED and FINISHED.
        events_seen = [json.loads(f[b"data"]) for _, f in
                       await redis.xrange(progress_stream(world.org_id))]
        assert events_seen[0]["type"] == "STARTED"
        assert events_seen[-1] == {**events_seen[-1], "type": "FINISHED", "status": "SUCCESS"}
        finals = {e["entity"]: e for e in events_seen if e["type"] == "PROGRESS"}
        assert finals["TASK"]["processed"] == finals["TASK"]["total"] == len(tasks)
        assert await world.log(await world.sync()) == []  # nothing echoes
    finally:
        await world.fm_client.aclose()
