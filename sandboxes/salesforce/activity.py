"""People at work: a background task that edits, creates and deletes random records as the
sales team would, so the demo and the live feed have something to show."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from sandboxes.salesforce.state import SandboxState

log = logging.getLogger("sandboxes.salesforce.activity")

_EDITS = {
    "Account": ["Phone", "Description", "Rating", "CustomerPriority__c", "NumberofLocations__c",
                "Verified__c", "BillingCity"],
    "Contact": ["Title", "Phone", "MobilePhone", "Level__c", "NewsletterOptIn__c"],
    "Opportunity": ["StageName", "Amount", "NextStep", "Discount__c"],
    "Task": ["Status", "Priority", "Description"],
}


class _Activity:
    def __init__(self, task: asyncio.Task[None], interval: float) -> None:
        self.task = task
        self.interval = interval
        self.changes = 0


def status(state: SandboxState) -> dict[str, Any]:
    current = state.activity
    if current is None or current.task.done():
        return {"running": False}
    return {"running": True, "interval": current.interval, "changes": current.changes}


async def start(state: SandboxState, interval: float, seed: int | None) -> None:
    await stop(state)
    rng = random.Random(seed)
    holder: dict[str, _Activity] = {}
    task = asyncio.create_task(_loop(state, interval, rng, holder))
    state.activity = holder["me"] = _Activity(task, interval)


async def stop(state: SandboxState) -> None:
    current = state.activity
    state.activity = None
    if current is not None and not current.task.done():
        current.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await current.task


async def _loop(state: SandboxState, interval: float, rng: random.Random,
                holder: dict[str, _Activity]) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            step(state, rng)
            holder["me"].changes += 1
        except Exception:  # a bad random pick must not end the demo
            log.exception("people-at-work step failed")


def step(state: SandboxState, rng: random.Random) -> str:
    """One change by a random active team member; returns what it did."""
    store = state.store
    users = store.table("User")
    upos = users.sobject.positions
    people = [r[upos["Id"]] for r in users.rows.values()
              if r[upos["IsActive"]] and r[upos["Id"]] != store.admin_user_id]
    author = rng.choice(people) if people else store.admin_user_id
    roll = rng.random()
    if roll < 0.65:
        name = rng.choice(list(_EDITS))
        row_id = _pick(state, name, rng)
        if row_id:
            field = rng.choice(_EDITS[name])
            store.update(row_id, {field: _value(state, name, field, rng)}, author)
            return f"edit {name} {row_id} {field}"
    if roll < 0.9:
        account = _pick(state, "Account", rng)
        if rng.random() < 0.5 or not account:
            new = store.insert("Account", {"Name": f"New prospect {rng.randrange(10**6)}",
                                           "Phone": f"+34 9{rng.randrange(10**8):08d}"}, author)
            return f"create Account {new}"
        new = store.insert("Contact", {"LastName": rng.choice(["García", "Smith", "López"]),
                                       "FirstName": rng.choice(["Ana", "John", "Lucía"]),
                                       "AccountId": account}, author)
        return f"create Contact {new}"
    name = rng.choice(["Contact", "Task", "Opportunity"])
    row_id = _pick(state, name, rng)
    if row_id:
        store.delete(row_id, author)
        return f"delete {name} {row_id}"
    return "nothing"


def _pick(state: SandboxState, name: str, rng: random.Random) -> str | None:
    table = state.store.table(name)
    if not table.index:
        return None
    for _ in range(5):
        _, row_id = table.index[rng.randrange(len(table.index))]
        if not table.rows[row_id][table.deleted_pos]:
            return row_id
    return None


def _value(state: SandboxState, name: str, field: str, rng: random.Random) -> Any:
    sob = state.store.table(name).sobject
    f = sob.field(field)
    assert f is not None
    if f.picklist:
        return rng.choice(f.picklist)
    if f.type == "boolean":
        return rng.random() < 0.5
    if f.type in ("double", "currency"):
        return float(rng.randrange(1, 1000) * 10)
    if f.type == "phone":
        return f"+34 6{rng.randrange(10**8):08d}"
    return f"Updated by the team ({rng.randrange(10**4)})"
