"""The sandbox's data, in memory: one table per resource, value lists, extra fields.

Rows are kept compact (only fields that have a value; datetimes as epoch milliseconds,
references as ids) and rendered in the API's shape on the way out. Each table keeps an
append-only index on dateUpdated, so `dateUpdated > …` reads cost what they return. The
store is shared by the server thread and tests, so every public method holds one lock.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from sandboxes.forcemanager.errors import SandboxError, bad_request, not_found
from sandboxes.forcemanager.extrafields import EXTRA_KINDS, new_definition, schema
from sandboxes.forcemanager.fields import (
    DESCRIPTION_REFERENCES,
    LABEL_FIELDS,
    READ_AS_INTEGER,
    RESOURCE_FIELDS,
    RESOURCES,
    SYSTEM_FIELDS,
    Kind,
    fields_of,
)
from sandboxes.forcemanager.timefmt import format_time
from sandboxes.forcemanager.validate import check_write
from sandboxes.forcemanager.valuelists import build_value_lists
from sandboxes.forcemanager.where import WhereError, compile_where, parse_order, sort_key

Record = dict[str, Any]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500



_AS_IS, _REFERENCE, _DATETIME, _INTEGER = range(4)


def _render_plan(resource: str) -> tuple[tuple[str, int, str], ...]:
    """How each standard field is written out, decided once per resource, not per row."""
    plan = []
    for field in (*RESOURCE_FIELDS[resource], *SYSTEM_FIELDS[1:]):
        if field.kind is Kind.FK:
            how = _REFERENCE
        elif field.kind is Kind.DATETIME:
            how = _DATETIME
        elif field.name in READ_AS_INTEGER:
            how = _INTEGER
        else:
            how = _AS_IS
        plan.append((field.name, how, field.target or ""))
    return tuple(plan)


_RENDER_PLANS = {resource: _render_plan(resource) for resource in RESOURCES}


class Table:
    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.rows: dict[int, Record] = {}
        self.next_id = 1
        # (dateUpdated ms, write sequence, id), appended in write order; stale entries (the
        # row was written again since) are skipped on read and dropped on compaction.
        self.index: list[tuple[int, int, int]] = []
        self.version = 0


class Store:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._last_ms = 0
        self._seq = 0
        self.tables: dict[str, Table] = {r: Table(r) for r in RESOURCES}
        self.value_lists: dict[str, list[dict[str, Any]]] = {}
        self._labels: dict[str, dict[int, str]] = {}
        self.extra_fields: dict[str, OrderedDict[str, dict[str, Any]]] = {
            r: OrderedDict() for r in RESOURCES
        }
        self._next_extra_id = 1
        self._query_cache: OrderedDict[tuple, tuple[int, list[int]]] = OrderedDict()
        self.api_user_id: int | None = None

    # -- time -------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The write clock: wall time, never going back, so the index stays ordered."""
        with self._lock:
            self._last_ms = max(self._last_ms, int(self._clock() * 1000))
            return self._last_ms

    # -- loading ------------------------------------------------------------------------------

    def load_value_lists(self, stamp: str) -> None:
        with self._lock:
            self.value_lists = build_value_lists(stamp)
            self._labels = {
                name: {row["id"]: row["description"] for row in rows}
                for name, rows in self.value_lists.items()
            }

    def load(self, resource: str, rows: Iterable[Record]) -> None:
        """Bulk-load seeded rows (with their own ids and dates), then index them once."""
        with self._lock:
            table = self.tables[resource]
            for row in rows:
                self._seq += 1
                row["_seq"] = self._seq
                table.rows[row["id"]] = row
                table.next_id = max(table.next_id, row["id"] + 1)
                self._last_ms = max(self._last_ms, row["dateUpdated"])
            self._reindex(table)

    def add_extra_field(
        self, resource: str, field_name: Any, type_: Any, label: Any = None,
        values: Any = None, stamp: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            self._table(resource)
            defs = self.extra_fields[resource]
            definition = new_definition(
                resource, defs, field_name, type_, label, values, field_id=self._next_extra_id,
                when=format_time(stamp if stamp is not None else self.now_ms()),
            )
            self._next_extra_id += 1
            defs[field_name] = definition
            self._query_cache.clear()
            return dict(definition)

    # -- reading --------------------------------------------------------------------------------

    def kind_of(self, resource: str) -> Callable[[str], Kind | None]:
        known = fields_of(resource)
        extras = self.extra_fields[resource]

        def kind(name: str) -> Kind | None:
            if name in known:
                return known[name].kind
            if name in extras:
                return EXTRA_KINDS[extras[name]["type"]]
            return None

        return kind

    def query(
        self, resource: str, *, where: str | None = None, order: str | None = None,
        page: int = 0, count: int = DEFAULT_PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """One page of matching rows, rendered. 400 on a filter or order it cannot read."""
        with self._lock:
            table = self._table(resource)
            ids = self._matching_ids(table, where, order)
            start = page * count
            return [self.render(resource, table.rows[i]) for i in ids[start:start + count]]

    def count(self, resource: str, where: str | None = None) -> int:
        with self._lock:
            return len(self._matching_ids(self._table(resource), where, None))

    def _matching_ids(self, table: Table, where: str | None, order: str | None) -> list[int]:
        key = (table.resource, where or "", order or "")
        cached = self._query_cache.get(key)
        if cached and cached[0] == table.version:
            self._query_cache.move_to_end(key)
            return cached[1]
        kind_of = self.kind_of(table.resource)
        try:
            plan = compile_where(where, kind_of)
            ordering = parse_order(order, kind_of)
        except WhereError as exc:
            raise bad_request("INVALID_WHERE", str(exc)) from None
        rows: Iterable[Record]
        resort = False
        if plan.ids is not None:
            rows = [table.rows[i] for i in sorted(plan.ids) if i in table.rows]
        elif plan.updated_after is not None:
            rows = self._updated_since(table, plan.updated_after)
            resort = True
        else:
            rows = table.rows.values()
        matches = [r for r in rows if plan.predicate(r)]
        if resort:
            matches.sort(key=lambda r: r["id"])
        for name, descending in reversed(ordering):
            matches.sort(key=sort_key(name), reverse=descending)
        ids = [r["id"] for r in matches]
        self._query_cache[key] = (table.version, ids)
        if len(self._query_cache) > 16:
            self._query_cache.popitem(last=False)
        return ids

    def _updated_since(self, table: Table, ms: float) -> Iterable[Record]:
        """Rows written at or after ms (the filter itself then applies > or >= exactly)."""
        start = bisect.bisect_left(table.index, (math.floor(ms),))
        for _, seq, row_id in table.index[start:]:
            row = table.rows[row_id]
            if row["_seq"] == seq:
                yield row

    def get(self, resource: str, record_id: int) -> dict[str, Any]:
        with self._lock:
            return self.render(resource, self._row(resource, record_id))

    def raw(self, resource: str, record_id: int) -> Record:
        """The stored row (a copy), for tests and the admin surface."""
        with self._lock:
            return dict(self._row(resource, record_id))

    def ids(self, resource: str, *, include_deleted: bool = True) -> list[int]:
        with self._lock:
            rows = self._table(resource).rows.values()
            return [r["id"] for r in rows if include_deleted or not r.get("deleted")]

    def render(self, resource: str, row: Record) -> dict[str, Any]:
        out: dict[str, Any] = {"id": row["id"]}
        described = resource in DESCRIPTION_REFERENCES
        get = row.get
        for name, how, target in _RENDER_PLANS[resource]:
            value = get(name)
            if value is None:
                out[name] = False if name == "deleted" else None
            elif how == _AS_IS:
                out[name] = value
            elif how == _REFERENCE:
                label = self.label(target, value)
                out[name] = (
                    {"description": label, "id": value} if described
                    else {"id": value, "value": label}
                )
            elif how == _DATETIME:
                out[name] = format_time(value)
            else:
                out[name] = int(value)
        for name, definition in self.extra_fields[resource].items():
            value = row.get(name)
            if definition["type"] == "datetime":
                value = format_time(value)
            elif isinstance(value, list):
                value = list(value)
            out[name] = value
        return out

    def label(self, target: str, record_id: int) -> str:
        if target in self._labels:
            return self._labels[target].get(record_id, "")
        table = self.tables.get(target)
        row = table.rows.get(record_id) if table else None
        if row is None:
            return ""
        parts = (row.get(name) for name in LABEL_FIELDS[target])
        return " ".join(str(p).strip() for p in parts if p)

    def reference_exists(self, target: str, record_id: int) -> bool:
        if target in self._labels:
            return record_id in self._labels[target]
        table = self.tables.get(target)
        return table is not None and record_id in table.rows

    def schema(self, resource: str) -> dict[str, Any]:
        with self._lock:
            self._table(resource)
            return schema(resource, self.extra_fields[resource])

    # -- writing ---------------------------------------------------------------------------------

    def create(self, resource: str, data: Any, *, user_id: int | None = None) -> int:
        with self._lock:
            table = self._table(resource)
            changes = self._check(resource, data, creating=True)
            now = self.now_ms()
            row: Record = {k: v for k, v in changes.items() if v is not None}
            row_id = table.next_id
            table.next_id += 1
            row |= {"id": row_id, "dateCreated": now, "deleted": False}
            if user_id is not None:
                row["salesRepIdCreated"] = user_id
            table.rows[row_id] = row
            self._touch(table, row, now, user_id)
            return row_id

    def update(
        self, resource: str, record_id: int, data: Any, *, user_id: int | None = None,
        allow_deleted: bool = False,
    ) -> None:
        with self._lock:
            table = self._table(resource)
            row = self._row(resource, record_id)
            if row.get("deleted") and not allow_deleted:
                raise bad_request(
                    "ENTITY_DELETED", f"{resource} {record_id} is deleted and cannot be updated"
                )
            changes = self._check(resource, data, creating=False)
            for name, value in changes.items():
                if value is None:
                    row.pop(name, None)
                else:
                    row[name] = value
            self._touch(table, row, self.now_ms(), user_id)

    def delete(self, resource: str, record_id: int, *, user_id: int | None = None) -> None:
        """Soft delete; deleting a deleted row again changes nothing."""
        with self._lock:
            table = self._table(resource)
            row = self._row(resource, record_id)
            if row.get("deleted"):
                return
            now = self.now_ms()
            row["deleted"] = True
            row["dateDeleted"] = now
            if user_id is not None:
                row["salesRepIdDeleted"] = user_id
            self._touch(table, row, now, user_id)

    def restore(self, resource: str, record_id: int) -> None:
        with self._lock:
            table = self._table(resource)
            row = self._row(resource, record_id)
            row["deleted"] = False
            row.pop("dateDeleted", None)
            row.pop("salesRepIdDeleted", None)
            self._touch(table, row, self.now_ms(), None)

    def _check(self, resource: str, data: Any, *, creating: bool) -> dict[str, Any]:
        return check_write(
            resource, data, self.extra_fields[resource], self.reference_exists, creating=creating
        )

    def _touch(self, table: Table, row: Record, now: int, user_id: int | None) -> None:
        self._seq += 1
        row["_seq"] = self._seq
        row["dateUpdated"] = now
        if user_id is not None:
            row["salesRepIdUpdated"] = user_id
        table.index.append((now, self._seq, row["id"]))
        table.version += 1
        if len(table.index) > 2 * len(table.rows) + 1024:
            self._reindex(table)

    def _reindex(self, table: Table) -> None:
        table.index = sorted((r["dateUpdated"], r["_seq"], r["id"]) for r in table.rows.values())
        table.version += 1

    def _table(self, resource: str) -> Table:
        table = self.tables.get(resource)
        if table is None:
            raise SandboxError(404, "NOT_FOUND", f"there is no resource {resource!r}")
        return table

    def _row(self, resource: str, record_id: int) -> Record:
        row = self._table(resource).rows.get(record_id)
        if row is None:
            raise not_found(resource, record_id)
        return row

    # -- introspection ----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                name: {
                    "total": len(t.rows),
                    "deleted": sum(1 for r in t.rows.values() if r.get("deleted")),
                }
                for name, t in self.tables.items()
            }

    def check_resource(self, resource: str) -> None:
        self._table(resource)

    @property
    def lock(self) -> threading.RLock:
        return self._lock


def clamp_page_size(count: int | None) -> int:
    if count is None:
        return DEFAULT_PAGE_SIZE
    return max(1, min(MAX_PAGE_SIZE, count))

