"""People at work: a background task that edits, creates and deletes records now and then, as
the customer's sales team does, so the demo and tests see ForceManager-side changes."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from typing import Any

from sandboxes.forcemanager.errors import SandboxError
from sandboxes.forcemanager.store import Store
from sandboxes.forcemanager.timefmt import format_time

WORK_RESOURCES = ("accounts", "contacts", "opportunities", "activities", "products")


class PeopleAtWork:
    def __init__(self, store: Store, seed: int = 1) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.interval: float | None = None
        self.changes = 0
        self.recent: deque[dict[str, Any]] = deque(maxlen=100)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, interval: float, resources: list[str] | None = None) -> None:
        """Start (or retune) in the running event loop."""
        self.stop()
        self.interval = interval
        chosen = tuple(resources or WORK_RESOURCES)
        self._task = asyncio.get_running_loop().create_task(self._run(chosen))

    def stop(self) -> None:
        """Stop; safe to call from another thread than the server's (tests, reset)."""
        task, self._task = self._task, None
        self.interval = None
        if task is None or task.done():
            return
        loop = task.get_loop()
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            task.cancel()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)

    def describe(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "interval": self.interval,
            "changes": self.changes,
            "recent": list(self.recent),
        }

    async def _run(self, resources: tuple[str, ...]) -> None:
        while True:
            await asyncio.sleep(self.interval or 1.0)
            self.step(self.rng.choice(resources))

    def step(self, resource: str) -> dict[str, Any] | None:
        """One change by one person: mostly edits, some creations, a few deletions."""
        store, rng = self.store, self.rng
        live = store.ids(resource, include_deleted=False)
        users = store.ids("users", include_deleted=False) or [1]
        user = rng.choice(users)
        roll = rng.random()
        try:
            if not live or roll < 0.2:
                action, record_id = "create", store.create(
                    resource, self._new(resource, user), user_id=user
                )
            elif roll < 0.9:
                record_id = rng.choice(live)
                store.update(resource, record_id, self._edit(resource), user_id=user)
                action = "update"
            else:
                record_id = rng.choice(live)
                store.delete(resource, record_id, user_id=user)
                action = "delete"
        except SandboxError:
            return None  # e.g. nothing to point a new record at yet
        self.changes += 1
        change = {"resource": resource, "action": action, "id": record_id, "user": user,
                  "at": format_time(store.now_ms())}
        self.recent.appendleft(change)
        return change

    def _pick(self, resource: str) -> int | None:
        ids = self.store.ids(resource, include_deleted=False)
        return self.rng.choice(ids) if ids else None

    def _new(self, resource: str, user: int) -> dict[str, Any]:
        n = self.rng.randrange(10_000, 99_999)
        if resource == "accounts":
            return {"name": f"New prospect {n}", "branchId": 1, "salesRepId1": user}
        if resource == "contacts":
            data: dict[str, Any] = {"firstName": "Nuevo", "lastName": f"Contacto {n}",
                                    "salesRepId": user}
            if account := self._pick("accounts"):
                data["accountId"] = account
            return data
        if resource == "opportunities":
            data = {"reference": f"Deal {n}", "statusId": 1, "salesRepId": user}
            if account := self._pick("accounts"):
                data["accountId1"] = account
            return data
        if resource == "activities":
            data = {"subject": f"Visit {n}", "typeId": 1, "salesRepId": user}
            if account := self._pick("accounts"):
                data["accountId"] = account
            return data
        return {"name": f"Product {n}"}

    def _edit(self, resource: str) -> dict[str, Any]:
        n = self.rng.randrange(100, 999)
        return {
            "accounts": {"phone": f"+34 600 {n} {n}"},
            "contacts": {"phone1": f"+34 611 {n} {n}"},
            "opportunities": {"total": float(n * 100)},
            "activities": {"comment": f"Follow-up {n}"},
            "products": {"price": float(n)},
        }.get(resource, {"extId": None})
