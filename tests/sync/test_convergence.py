"""People at work on both sides between ticks: after two quiet ticks both CRMs hold the same
records with the same values, and a further tick has nothing to do."""

from __future__ import annotations

import random

from sandboxes.salesforce import activity as salesforce_people
from server.entities import Entity
from server.models import RecordLink
from tests.sync.conftest import World
from workers.sync.convert import number, text

# Fields both sides hold without loss, per entity: (Salesforce, ForceManager, normalise).
SAME = {
    Entity.ACCOUNT: ("Account", "accounts", [("Name", "name", text), ("Phone", "phone", text),
                                              ("Website", "website", text)]),
    Entity.CONTACT: ("Contact", "contacts", [("LastName", "lastName", text),
                                              ("FirstName", "firstName", text),
                                              ("Phone", "phone1", text)]),
    Entity.OPPORTUNITY: ("Opportunity", "opportunities", [("Name", "reference", text),
                                                          ("Amount", "total", number)]),
}


async def test_both_crms_converge_after_concurrent_edits(world: World) -> None:
    await world.sync()
    rng = random.Random(7)
    for _ in range(8):
        for _ in range(6):
            salesforce_people.step(world.sf.sandbox.state, rng)
            world.fm.sandbox.activity.step(rng.choice(["accounts", "contacts", "opportunities"]))
        await world.sync()
    await world.sync()
    settled = await world.sync()
    assert await world.log(settled) == []
    assert settled.status.value == "SUCCESS"

    for entity, (sobject, resource, fields) in SAME.items():
        sf_live = {r["Id"]: r for r in world.sf_records(sobject) if not r["IsDeleted"]}
        fm_live = {r["id"]: r for r in await world.fm_records(resource)}
        links = await RecordLink.filter(organization_id=world.org_id, entity=entity.value,
                                        deleted=False)
        pairs = {link.salesforce_id: link.forcemanager_id for link in links}
        assert set(pairs) == set(sf_live), entity  # every live record has a live twin
        assert set(pairs.values()) == set(fm_live), entity
        for sf_id, fm_id in pairs.items():
            for sf_field, fm_field, same in fields:
                assert same(sf_live[sf_id][sf_field]) == same(fm_live[fm_id][fm_field]), (
                    entity, sf_id, sf_field)
