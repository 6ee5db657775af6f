"""ForceManager's value lists (account types, countries, …) kept between runs.

They change rarely, yet every run that converts a record needed all of them: one call per
list per run. They are kept per org in a SyncCursor row's state and fetched again when the
copy is older than REFRESH, or, at most once per run, when a batch meets a value the copy
does not know (an item added in ForceManager since), so a new item is never mapped as
missing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from server.entities import Entity, Flow
from workers.sync import store
from workers.sync.convert import parse_datetime, reference_id
from workers.sync.fields import Field, Kind

if TYPE_CHECKING:
    from server.clients.forcemanager import ForceManagerClient
    from workers.sync.apply import Batch
    from workers.sync.context import Engine

REFRESH = timedelta(hours=1)
KEY = "_VALUE_LISTS"  # the pseudo-entity of the cursor row that keeps them

Lists = dict[str, list[dict[str, Any]]]


async def load(org_id: int, fm: ForceManagerClient, names: set[str]) -> Lists:
    """The lists named, from the org's copy when it is fresh and has them all."""
    row = await store.cursor(org_id, KEY, store.FORCEMANAGER)
    state = row.state or {}
    kept: Lists = state.get("lists") or {}
    fetched = state.get("fetched_at")
    if fetched and datetime.now(UTC) - parse_datetime(fetched) < REFRESH and names <= set(kept):
        return {name: kept[name] for name in names}
    return await _fetch(row, fm, names)


async def before_decide(engine: Engine, entity: Entity, records: list[dict[str, Any]]) -> None:
    """ForceManager records that name a list item by a bare id (no label beside it) need
    the lists to be read; fetch them again if the copy lacks such an id."""
    bare = _bare_items(engine, entity, records)
    if not bare:
        return
    await engine.value_lists()
    if any(engine.lookups.label(f.value_list or "", item) is None for f, item in bare):
        await _refresh_once(engine)


async def before_apply(engine: Engine, entity: Entity, batch: Batch) -> None:
    """Salesforce values written to a value-list field are looked up by label: fetch the
    lists again if the copy does not know one."""
    if not batch.ops:
        return
    await engine.value_lists()
    if _unknown_label(engine, entity, batch):
        await _refresh_once(engine)


async def _refresh_once(engine: Engine) -> None:
    row = await store.cursor(engine.org_id, KEY, store.FORCEMANAGER)
    fetched = (row.state or {}).get("fetched_at")
    if fetched and parse_datetime(fetched) >= engine.run.started_at:
        return  # fetched during this run: the value is simply not in ForceManager's lists
    names = set(engine.lookups.value_lists)
    engine.lookups.value_lists.update(await _fetch(row, engine.fm, names))


async def _fetch(row: Any, fm: ForceManagerClient, names: set[str]) -> Lists:
    lists = {name: await fm.value_list(name) for name in sorted(names)}
    await store.save_cursor(row, lists=lists, fetched_at=datetime.now(UTC).isoformat())
    return lists


def _unknown_label(engine: Engine, entity: Entity, batch: Batch) -> bool:
    fields = [f for f in engine.maps[entity].fields if f.kind is Kind.VALUE_LIST]
    for op in batch.ops:
        if op.flow is not Flow.SALESFORCE_TO_FORCEMANAGER:
            continue
        for f in fields:
            label = op.values.get(f.key)
            if isinstance(label, str) and label.strip():
                if engine.lookups.item_id(f.value_list or "", label) is None:
                    return True
    return False


def _bare_items(
    engine: Engine, entity: Entity, records: list[dict[str, Any]]
) -> list[tuple[Field, int]]:
    fields = [f for f in engine.maps[entity].fields if f.kind is Kind.VALUE_LIST]
    found: list[tuple[Field, int]] = []
    for record in records:
        for f in fields:
            raw = record.get(f.forcemanager_fields[0])
            if isinstance(raw, dict) and raw.get("value") is not None:
                continue
            item = reference_id(raw)
            if item is not None:
                found.append((f, item))
    return found
