"""ForceManager's value lists are kept between runs, and fetched again when a record
needs an item the kept copy does not know."""

from __future__ import annotations

from typing import Any

from server.entities import Entity
from server.models import RunStatus
from tests.sync.conftest import World


def value_list_calls(fm: Any) -> int:
    return sum(n for kind, n in fm.counters()["by_kind"].items() if kind.startswith("valuelist"))


def add_item(fm: Any, name: str, label: str) -> int:
    """An item someone adds to a ForceManager value list (the sandbox has no API for it)."""
    store = fm.store
    with store.lock:
        rows = store.value_lists[name]
        item = {**rows[-1], "id": max(r["id"] for r in rows) + 1, "description": label}
        rows.append(item)
        store._labels[name][item["id"]] = label
    return item["id"]


async def _loaded(world: World) -> tuple[dict, int]:
    run = await world.sync()
    assert run.status is RunStatus.SUCCESS, run.reason
    assert (await world.sync()).status is RunStatus.SUCCESS  # settles the cursors
    account = next(a for a in world.sf_records("Account") if not a["IsDeleted"])
    link = await world.link(Entity.ACCOUNT, account["Id"])
    return account, link.forcemanager_id


async def test_a_tick_with_changes_reuses_the_lists_the_load_fetched(world: World) -> None:
    account, fm_id = await _loaded(world)
    assert value_list_calls(world.fm) > 0  # the load needed them
    before = value_list_calls(world.fm)
    world.sf.admin.edit("Account", account["Id"], {"Type": "Prospect"})
    run = await world.sync()
    assert run.status is RunStatus.SUCCESS and run.updated == 1
    twin = await world.fm_client.get("accounts", fm_id)
    assert twin["typeId"]["value"] == "Prospect"
    assert value_list_calls(world.fm) == before


async def test_an_item_added_in_forcemanager_is_fetched_when_a_record_needs_it(
    world: World,
) -> None:
    account, fm_id = await _loaded(world)
    new_item = add_item(world.fm, "accountTypes", "Technology Partner")
    before = value_list_calls(world.fm)
    world.sf.admin.edit("Account", account["Id"], {"Type": "Technology Partner"})
    run = await world.sync()
    assert run.status is RunStatus.SUCCESS and run.updated == 1
    twin = await world.fm_client.get("accounts", fm_id)
    assert twin["typeId"]["id"] == new_item
    fetched = value_list_calls(world.fm) - before
    assert fetched > 0  # fetched again, once
    assert (await world.sync()).status is RunStatus.SUCCESS
    assert value_list_calls(world.fm) - before == fetched  # and kept again
