"""The sandbox's data: one table per object, each record a list of values in field order, each
table kept ordered by (SystemModstamp, Id) so change reads bisect instead of scanning.

Values are stored the way Salesforce returns them: datetimes as '2024-01-01T12:00:00.000+0000'
strings (they sort as text), dates as 'YYYY-MM-DD', numbers, booleans, None."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sandboxes.salesforce.describe import SObjectType
from sandboxes.salesforce.schema import KEY_PREFIXES, OBJECTS
from sandboxes.salesforce.values import format_datetime, make_id, to_datetime

Row = list[Any]

# What a delete takes with it: parent object -> (child object, field pointing at the parent).
CASCADES = {
    "Account": [("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Task", "WhatId"),
                ("Event", "WhatId")],
    "Opportunity": [("Task", "WhatId"), ("Event", "WhatId")],
}

_PREFIX_TO_OBJECT = {prefix: name for name, prefix in KEY_PREFIXES.items()}


def utc_now() -> datetime:
    # Salesforce audit fields have whole seconds.
    return datetime.now(UTC).replace(microsecond=0)


class Table:
    def __init__(self, sobject: SObjectType) -> None:
        self.sobject = sobject
        self.rows: dict[str, Row] = {}
        self.index: list[tuple[str, str]] = []  # (SystemModstamp, Id), sorted
        pos = sobject.positions
        self.id_pos = pos["Id"]
        self.modstamp_pos = pos["SystemModstamp"]
        self.deleted_pos = pos["IsDeleted"]
        self.width = len(sobject.fields)

    @property
    def name(self) -> str:
        return self.sobject.name

    def key(self, row: Row) -> tuple[str, str]:
        return (row[self.modstamp_pos], row[self.id_pos])

    def put(self, row: Row) -> None:
        """Insert or replace row, keeping the modstamp index in order."""
        old = self.rows.get(row[self.id_pos])
        if old is not None:
            self._unindex(old)
        self.rows[row[self.id_pos]] = row
        bisect.insort(self.index, self.key(row))

    def drop(self, row_id: str) -> None:
        old = self.rows.pop(row_id)
        self._unindex(old)

    def _unindex(self, row: Row) -> None:
        key = self.key(row)
        at = bisect.bisect_left(self.index, key)
        if at < len(self.index) and self.index[at] == key:
            del self.index[at]

    def count(self, include_deleted: bool = False) -> int:
        if include_deleted:
            return len(self.rows)
        deleted = self.deleted_pos
        return sum(1 for row in self.rows.values() if not row[deleted])

    def since(self, modstamp: str, inclusive: bool = True) -> Iterator[Row]:
        """Rows in (SystemModstamp, Id) order from modstamp on."""
        probe = (modstamp, "") if inclusive else (modstamp, "\uffff")
        at = bisect.bisect_left(self.index, probe)
        rows = self.rows
        for _, row_id in self.index[at:]:
            yield rows[row_id]

    def ordered(self) -> Iterator[Row]:
        rows = self.rows
        for _, row_id in self.index:
            yield rows[row_id]

    def as_dict(self, row: Row, fields: list[str] | None = None) -> dict[str, Any]:
        if fields is None:
            return {f.name: row[i] for i, f in enumerate(self.sobject.fields) if not f.hidden}
        pos = self.sobject.positions
        return {name: row[pos[name]] for name in fields}


class Store:
    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self.tables = {name: Table(sobject) for name, sobject in OBJECTS.items()}
        self._counters = dict.fromkeys(KEY_PREFIXES.values(), 0)
        self.org_id = make_id("00D", 1)
        self.admin_user_id = ""
        self._undo: list[tuple[Table, str, Row | None]] | None = None

    def table(self, name: str) -> Table:
        return self.tables[name]

    def table_for_id(self, row_id: str) -> Table | None:
        name = _PREFIX_TO_OBJECT.get(row_id[:3])
        return self.tables[name] if name else None

    def new_id(self, sobject: str) -> str:
        prefix = KEY_PREFIXES[sobject]
        self._counters[prefix] += 1
        return make_id(prefix, self._counters[prefix])

    def now(self) -> str:
        return format_datetime(self.clock())

    def get(self, row_id: str) -> tuple[Table, Row] | None:
        table = self.table_for_id(row_id)
        if table is None or row_id not in table.rows:
            return None
        return table, table.rows[row_id]

    # Writes. Values are already validated and in stored form (see writes.py).

    def insert(self, sobject: str, values: dict[str, Any], user_id: str,
               at: str | None = None) -> str:
        table = self.tables[sobject]
        pos = table.sobject.positions
        row: Row = [None] * table.width
        for f in table.sobject.fields:
            if f.type == "boolean":
                row[pos[f.name]] = False
        if "OwnerId" in pos:
            row[pos["OwnerId"]] = user_id
        for name, value in values.items():
            row[pos[name]] = value
        row_id = self.new_id(sobject)
        stamp = at or self.now()
        row[pos["Id"]] = row_id
        row[pos["CreatedDate"]] = stamp
        row[pos["CreatedById"]] = user_id
        self._touch(table, row, user_id, stamp)
        derive(table.sobject.name, row, pos)
        self._remember(table, row_id, None)
        table.put(row)
        return row_id

    def update(self, row_id: str, values: dict[str, Any], user_id: str,
               at: str | None = None) -> None:
        table, old = self._existing(row_id)
        pos = table.sobject.positions
        row = list(old)
        for name, value in values.items():
            row[pos[name]] = value
        self._touch(table, row, user_id, at or self.now())
        derive(table.sobject.name, row, pos)
        self._remember(table, row_id, old)
        table.put(row)

    def delete(self, row_id: str, user_id: str, at: str | None = None) -> list[str]:
        """Soft delete (the recycle bin): queryAll and getDeleted still see the row. As in
        Salesforce, an account takes its contacts, opportunities and activities with it, an
        opportunity its activities. Returns every id deleted."""
        table, old = self._existing(row_id)
        stamp = at or self.now()
        row = list(old)
        row[table.deleted_pos] = True
        self._touch(table, row, user_id, stamp)
        self._remember(table, row_id, old)
        table.put(row)
        deleted = [row_id]
        for child, field in CASCADES.get(table.name, ()):
            child_table = self.tables[child]
            at_field = child_table.sobject.positions[field]
            gone = child_table.deleted_pos
            for child_id in [r[child_table.id_pos] for r in child_table.rows.values()
                             if r[at_field] == row_id and not r[gone]]:
                deleted += self.delete(child_id, user_id, stamp)
        return deleted

    def _existing(self, row_id: str) -> tuple[Table, Row]:
        found = self.get(row_id)
        if found is None:
            raise KeyError(row_id)
        return found

    def _touch(self, table: Table, row: Row, user_id: str, stamp: str) -> None:
        pos = table.sobject.positions
        row[pos["LastModifiedDate"]] = stamp
        row[pos["LastModifiedById"]] = user_id
        row[pos["SystemModstamp"]] = stamp

    def bulk_load(self, sobject: str, rows: list[Row]) -> None:
        """Seed many rows at once (rows complete, ids from new_id): one sort, not n inserts."""
        table = self.tables[sobject]
        pos = table.sobject.positions
        for row in rows:
            derive(sobject, row, pos)
            table.rows[row[table.id_pos]] = row
        table.index = sorted(table.key(row) for row in table.rows.values())

    # All-or-none: remember what each write replaced, put it back on failure.

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        outer = self._undo
        self._undo = []
        txn = Transaction(self, self._undo)
        try:
            yield txn
        except BaseException:
            txn.rollback()
            raise
        finally:
            if outer is not None and not txn.rolled_back:
                outer.extend(self._undo)
            self._undo = outer

    def _remember(self, table: Table, row_id: str, old: Row | None) -> None:
        if self._undo is not None:
            self._undo.append((table, row_id, old))


class Transaction:
    def __init__(self, store: Store, log: list[tuple[Table, str, Row | None]]) -> None:
        self._store = store
        self._log = log
        self.rolled_back = False

    def rollback(self) -> None:
        for table, row_id, old in reversed(self._log):
            if old is None:
                table.drop(row_id)
            else:
                table.put(old)
        self._log.clear()
        self.rolled_back = True


def derive(sobject: str, row: Row, pos: dict[str, int]) -> None:
    """Fields Salesforce computes from others."""
    if sobject in ("Contact", "User"):
        first, last = row[pos["FirstName"]], row[pos["LastName"]]
        row[pos["Name"]] = f"{first} {last}" if first else last
    elif sobject == "Opportunity":
        stage = row[pos["StageName"]]
        row[pos["IsClosed"]] = stage in ("Closed Won", "Closed Lost")
        row[pos["IsWon"]] = stage == "Closed Won"
    elif sobject == "Event":
        start = row[pos["ActivityDateTime"]]
        row[pos["StartDateTime"]] = start
        if start:
            begin = to_datetime(start)
            minutes = row[pos["DurationInMinutes"]] or 0
            row[pos["ActivityDate"]] = begin.date().isoformat()
            row[pos["EndDateTime"]] = format_datetime(begin + timedelta(minutes=minutes))
