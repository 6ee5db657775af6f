"""A worker that dies while creating ForceManager records in Salesforce: the next run
finds what the dead one created instead of creating it again."""

from __future__ import annotations

from typing import Any

import pytest

from server.clients.forcemanager import ForceManagerClient
from server.clients.salesforce import SalesforceClient
from server.entities import Entity, Flow
from server.models import Integration, RecordLink, RunStatus, SyncAction, SyncStatus
from tests.sync.conftest import World
from workers.sync import store


class Killed(BaseException):
    """The process dying: not an error the run handles, nothing after it runs."""


async def _die_on_ext_id(self: ForceManagerClient, resource: str,
                         records: list[dict[str, Any]]) -> Any:
    raise Killed("worker killed before the extId write")


async def _die_on_create(self: SalesforceClient, sobject: str,
                         records: list[dict[str, Any]]) -> Any:
    raise Killed("worker killed as it sent the create")


async def _die_on_links(org_id: int, links: list[Any]) -> None:
    raise Killed("worker killed before the links were stored")


@pytest.mark.parametrize("dies_at", ["extId write", "links save"])
async def test_killed_after_the_salesforce_create_does_not_create_it_twice(
    world: World, monkeypatch: pytest.MonkeyPatch, dies_at: str
) -> None:
    loaded = await world.sync()
    assert loaded.status is RunStatus.SUCCESS, loaded.reason
    await world.sync()  # reads the load back: echoes only
    owner = next(iter(world.matches))
    fm_id = world.fm.create("accounts", {"name": "Creada antes del corte", "branchId": 1,
                                         "salesRepId1": world.matches[owner]})["id"]
    with monkeypatch.context() as patch:
        if dies_at == "extId write":
            patch.setattr(ForceManagerClient, "bulk_update", _die_on_ext_id)
        else:
            patch.setattr(store, "insert_links", _die_on_links)
        with pytest.raises(Killed):
            await world.sync()

    def made() -> list[dict[str, Any]]:
        return [a for a in world.sf_records("Account")
                if a["Name"] == "Creada antes del corte" and not a["IsDeleted"]]

    [first] = made()  # the dead run did create it in Salesforce
    assert await RecordLink.filter(organization_id=world.org_id, forcemanager_id=fm_id,
                                   entity=Entity.ACCOUNT.value).count() == 0

    run = await world.sync()

    assert run.status is RunStatus.SUCCESS, run.reason
    assert [a["Id"] for a in made()] == [first["Id"]]  # no duplicate in Salesforce
    link = await world.link(Entity.ACCOUNT, first["Id"])
    assert link.forcemanager_id == fm_id and not link.deleted
    assert (await world.fm_client.get("accounts", fm_id))["extId"] == first["Id"]
    accounts = [r for r in await world.fm_records("accounts")
                if r["name"] == "Creada antes del corte"]
    assert [r["id"] for r in accounts] == [fm_id]  # no duplicate in ForceManager either
    entries = [e for e in await world.log(run) if e.forcemanager_id == fm_id]
    assert [(e.action, e.direction, e.status, e.salesforce_id) for e in entries] == [
        (SyncAction.CREATED, Flow.FORCEMANAGER_TO_SALESFORCE, SyncStatus.SUCCESS, first["Id"])
    ]
    assert await store.creating(world.org_id, Entity.ACCOUNT) == []  # marks cleared
    assert await world.log(await world.sync()) == []  # converged: nothing left to write


async def test_a_lookalike_someone_else_made_is_not_taken_for_the_lost_create(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.sync()
    await world.sync()
    integration_user = (await Integration.get(organization_id=world.org_id)).salesforce_user_id
    owner = next(u for u in world.matches if u != integration_user)
    fm_id = world.fm.create("accounts", {"name": "Gemela", "branchId": 1,
                                         "salesRepId1": world.matches[owner]})["id"]
    with monkeypatch.context() as patch:
        patch.setattr(SalesforceClient, "create", _die_on_create)
        with pytest.raises(Killed):
            await world.sync()  # dies with the create marked but never made
    # Meanwhile a person creates a record with the very same values in Salesforce.
    lookalike = world.sf.admin.create("Account", {"Name": "Gemela", "OwnerId": owner},
                                      as_user=owner)

    run = await world.sync()

    assert run.status is RunStatus.SUCCESS, run.reason
    twins = [a for a in world.sf_records("Account") if a["Name"] == "Gemela"]
    assert len(twins) == 2  # the person's and ours, created once now
    [ours] = [a for a in twins if a["Id"] != lookalike]
    assert ours["CreatedById"] == integration_user
    assert (await RecordLink.get(organization_id=world.org_id, entity="ACCOUNT",
                                 forcemanager_id=fm_id)).salesforce_id == ours["Id"]
    assert (await world.fm_client.get("accounts", fm_id))["extId"] == ours["Id"]
    # The person's record is a record of its own: it reaches ForceManager as a new one.
    other = await world.link(Entity.ACCOUNT, lookalike)
    assert other.forcemanager_id not in (None, fm_id)
    assert await world.log(await world.sync()) == []
