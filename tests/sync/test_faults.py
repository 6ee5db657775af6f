"""Faults: a bad record among good ones, quota exhaustion, revoked credentials."""

from __future__ import annotations

from server.crypto import encrypt
from server.entities import Entity, Flow
from server.models import (
    Integration,
    IntegrationState,
    RecordLink,
    RunStatus,
    SyncCursor,
    SyncStatus,
)
from tests.sync.conftest import World


async def test_one_bad_record_does_not_stop_the_others(world: World) -> None:
    await world.sync()
    accounts = [a for a in world.sf_records("Account") if not a["IsDeleted"]][:3]
    bad, *good = accounts
    # Not one of the values the ForceManager list field was created with.
    world.sf.admin.edit("Account", bad["Id"], {"SLA__c": "Diamond", "Phone": "1"})
    for n, account in enumerate(good):
        world.sf.admin.edit("Account", account["Id"], {"Phone": f"+34 600 00{n}"})

    run = await world.sync()

    assert run.status is RunStatus.PARTIAL and "1 record(s) failed" in run.reason
    entries = {e.salesforce_id: e for e in await world.log(run)}
    assert entries[bad["Id"]].status is SyncStatus.ERROR
    assert entries[bad["Id"]].error_code == "INVALID_VALUE"
    assert "Diamond" in entries[bad["Id"]].error_message
    for n, account in enumerate(good):
        assert entries[account["Id"]].status is SyncStatus.SUCCESS
        link = await world.link(Entity.ACCOUNT, account["Id"])
        assert (await world.fm_client.get("accounts", link.forcemanager_id))["phone"] == (
            f"+34 600 00{n}"
        )
    assert (run.updated, run.failed) == (2, 1)


async def test_quota_exhausted_mid_load_then_resumes_without_duplicates(world: World) -> None:
    # Enough allowance for the survey (describes and counts in one Composite call) and the
    # accounts, not for the rest.
    world.sf.admin.set_limit(limit=2, used=0)
    first = await world.sync()
    assert first.status is RunStatus.PARTIAL
    assert "REQUEST_LIMIT_EXCEEDED" in first.reason
    loaded = {r["extId"] for r in await world.fm_records("accounts")}
    assert loaded == {r["Id"] for r in world.sf_records("Account") if not r["IsDeleted"]}
    assert await world.fm_records("contacts") == []
    integration = await Integration.get(organization_id=world.org_id)
    assert integration.state is IntegrationState.INITIAL_SYNC  # not done yet

    world.sf.admin.set_limit(limit=100_000, used=0)
    second = await world.sync()
    assert second.status is RunStatus.SUCCESS, second.reason
    integration = await Integration.get(organization_id=world.org_id)
    assert integration.state is IntegrationState.ACTIVE

    for sobject, resource in (("Account", "accounts"), ("Contact", "contacts"),
                              ("Opportunity", "opportunities")):
        sf_ids = sorted(r["Id"] for r in world.sf_records(sobject) if not r["IsDeleted"])
        fm_ext = sorted(r["extId"] for r in await world.fm_records(resource))
        assert fm_ext == sf_ids, sobject  # every record once, none twice
    links = await RecordLink.filter(organization_id=world.org_id).count()
    assert links == sum(
        1 for s in ("Account", "Contact", "Opportunity")
        for r in world.sf_records(s) if not r["IsDeleted"]
    )


async def test_revoked_salesforce_credentials_put_the_integration_in_error(
    world: World,
) -> None:
    await world.sync()
    # The admin changed the Salesforce password: the session ends and re-login is refused.
    await Integration.filter(organization_id=world.org_id).update(
        salesforce_password_enc=encrypt("changed-by-the-admin")
    )
    world.sf.admin.expire_sessions()
    run = await world.sync()
    assert run.status is RunStatus.FAILED
    integration = await Integration.get(organization_id=world.org_id)
    assert integration.state is IntegrationState.ERROR
    assert "reconnect Salesforce" in integration.error_reason
    assert integration.next_run_at is None  # no more automatic runs until reconnected
    assert await world.sync_skipped()


async def test_salesforce_side_record_errors_are_logged_per_record(world: World) -> None:
    await world.sync()
    accounts = [a for a in world.sf_records("Account") if not a["IsDeleted"]][:3]
    for n, account in enumerate(accounts):
        link = await world.link(Entity.ACCOUNT, account["Id"])
        world.fm.edit("accounts", link.forcemanager_id, {"website": f"https://w{n}.example"})
    world.sf.admin.faults(
        record_errors={"count": 1, "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    )
    run = await world.sync()
    to_sf = [e for e in await world.log(run) if e.direction is Flow.FORCEMANAGER_TO_SALESFORCE]
    assert sorted(e.status.value for e in to_sf) == ["ERROR", "SUCCESS", "SUCCESS"]
    assert run.status is RunStatus.PARTIAL
    [failed] = [e for e in to_sf if e.status is SyncStatus.ERROR]
    assert failed.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"

    # The next tick tries the failed record again, though nobody touched it.
    retried = await world.sync()
    [entry] = await world.log(retried)
    assert (entry.salesforce_id, entry.status) == (failed.salesforce_id, SyncStatus.SUCCESS)
    n = next(i for i, a in enumerate(accounts) if a["Id"] == failed.salesforce_id)
    assert world.sf.admin.get("Account", failed.salesforce_id)["Website"] == (
        f"https://w{n}.example"
    )
    assert await world.log(await world.sync()) == []


async def test_a_record_that_keeps_failing_is_given_up_after_three_attempts(
    world: World,
) -> None:
    await world.sync()
    bad = next(a for a in world.sf_records("Account") if not a["IsDeleted"])
    world.sf.admin.edit("Account", bad["Id"], {"SLA__c": "Diamond"})
    per_tick = []
    for _ in range(6):
        run = await world.sync()
        per_tick.append([e.status for e in await world.log(run)
                         if e.salesforce_id == bad["Id"]])
    attempts = [status for tick in per_tick for status in tick]
    # Three tries, then the record is left alone: the last ticks cost the probe only.
    assert attempts == [SyncStatus.ERROR] * 3
    assert per_tick[-2:] == [[], []]
    assert run.status is RunStatus.SUCCESS and run.salesforce_calls == 1


async def test_quota_exhausted_mid_tick_then_the_next_tick_catches_up(world: World) -> None:
    await world.sync()
    accounts = [a for a in world.sf_records("Account") if not a["IsDeleted"]][:2]
    sf_edit, fm_edit = accounts
    world.sf.admin.edit("Account", sf_edit["Id"], {"Phone": "+34 700 000 000"})
    fm_twin = (await world.link(Entity.ACCOUNT, fm_edit["Id"])).forcemanager_id
    world.fm.edit("accounts", fm_twin, {"website": "https://late.example"})
    # The probe gets through; the reads that follow do not.
    world.sf.admin.set_limit(limit=1, used=0)

    stopped = await world.sync()

    assert stopped.status is RunStatus.PARTIAL and "REQUEST_LIMIT_EXCEEDED" in stopped.reason
    assert world.sf.admin.get("Account", fm_edit["Id"])["Website"] != "https://late.example"
    world.sf.admin.set_limit(limit=100_000, used=0)
    resumed = await world.sync()
    assert resumed.status is RunStatus.SUCCESS, resumed.reason
    assert world.sf.admin.get("Account", fm_edit["Id"])["Website"] == "https://late.example"
    sf_twin = (await world.link(Entity.ACCOUNT, sf_edit["Id"])).forcemanager_id
    assert (await world.fm_client.get("accounts", sf_twin))["phone"] == "+34 700 000 000"
    assert await world.log(await world.sync()) == []


async def test_a_custom_field_deleted_in_salesforce_is_learned_again(world: World) -> None:
    await world.sync()
    row = await SyncCursor.get(organization_id=world.org_id, entity="ACCOUNT",
                               side="SALESFORCE")
    row.state = {**row.state, "custom_fields": [*row.state["custom_fields"],
                                                ["Gone__c", "string"]]}
    await row.save()
    account = next(a for a in world.sf_records("Account") if not a["IsDeleted"])
    world.sf.admin.edit("Account", account["Id"], {"Phone": "+34 600 123 123"})

    run = await world.sync()

    assert run.status is RunStatus.SUCCESS, run.reason
    twin = (await world.link(Entity.ACCOUNT, account["Id"])).forcemanager_id
    assert (await world.fm_client.get("accounts", twin))["phone"] == "+34 600 123 123"
    await row.refresh_from_db()
    assert "Gone__c" not in {name for name, _ in row.state["custom_fields"]}


async def test_an_entity_that_cannot_be_synced_does_not_stop_the_others(world: World) -> None:
    await world.sync()
    account = next(a for a in world.sf_records("Account") if not a["IsDeleted"])
    contact = next(c for c in world.sf_records("Contact") if not c["IsDeleted"])
    world.sf.admin.edit("Account", account["Id"], {"Phone": "+34 600 999 999"})
    world.sf.admin.edit("Contact", contact["Id"], {"Title": "CEO", "Phone": "1"})
    world.fm.fail(400, count=3, error="INVALID_QUERY", path_prefix="/contacts")

    run = await world.sync()

    assert run.status is RunStatus.PARTIAL and run.reason.startswith("CONTACT: ")
    twin = (await world.link(Entity.ACCOUNT, account["Id"])).forcemanager_id
    assert (await world.fm_client.get("accounts", twin))["phone"] == "+34 600 999 999"
    world.fm.clear_faults()
    later = await world.sync()  # the contact's change was not lost
    assert later.status is RunStatus.SUCCESS
    contact_twin = (await world.link(Entity.CONTACT, contact["Id"])).forcemanager_id
    assert (await world.fm_client.get("contacts", contact_twin))["phone1"] == "1"
