"""Run a parsed SOQL query on a Table: compile the condition to a predicate, start from the
(SystemModstamp, Id) index when the condition bounds SystemModstamp from below, look rows up
by id when it names them, and stop early when the order is the index's own."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from sandboxes.salesforce.describe import TEXT_TYPES, Field, SObjectType
from sandboxes.salesforce.soql import Query
from sandboxes.salesforce.store import Row, Table


def run(query: Query, table: Table, *, include_deleted: bool) -> tuple[list[str], int]:
    """(ids of the page-able result, totalSize). For COUNT() the id list is empty."""
    node = query.condition
    match = _compile(node, query.sobject) if node is not None else None
    ids = _id_lookup(node) if node is not None else None
    lower = modstamp_bound(query)
    deleted_pos = table.deleted_pos
    candidates: Iterable[Row]
    index_ordered = _in_index_order(query.order)
    if ids is not None:
        candidates = [table.rows[i] for i in ids if i in table.rows]
        index_ordered = False
    elif lower is not None:
        candidates = table.since(*lower)
    else:
        candidates = table.ordered()
    wanted = None
    if index_ordered and query.limit is not None and not query.is_count:
        wanted = query.offset + query.limit
    id_pos = table.id_pos
    found: list[Row] = []
    for row in candidates:
        if not include_deleted and row[deleted_pos]:
            continue
        if match is not None and not match(row):
            continue
        found.append(row)
        if wanted is not None and len(found) >= wanted:
            break
    if query.order and not index_ordered:
        _sort(found, query.order, table)
    if query.offset:
        found = found[query.offset :]
    if query.limit is not None:
        found = found[: query.limit]
    if query.is_count:
        return [], len(found)
    return [row[id_pos] for row in found], len(found)


def _in_index_order(order: list[tuple[Field, bool, bool]]) -> bool:
    names = [(f.name, desc) for f, desc, _ in order]
    return names in ([], [("SystemModstamp", False)], [("SystemModstamp", False), ("Id", False)])


def _sort(rows: list[Row], order: list[tuple[Field, bool, bool]], table: Table) -> None:
    for f, desc, nulls_first in reversed(order):
        at = table.sobject.positions[f.name]
        text = f.type in TEXT_TYPES
        null_flag = (2 if nulls_first else 0) if desc else (0 if nulls_first else 2)

        def key(row: Row, at: int = at, text: bool = text, null_flag: int = null_flag) -> Any:
            value = row[at]
            if value is None:
                return (null_flag, None)
            return (1, value.lower() if text else value)

        rows.sort(key=key, reverse=desc)


def modstamp_bound(query: Query) -> tuple[str, bool] | None:
    """(value, inclusive): the least SystemModstamp a matching row can have, if any."""
    return _modstamp_bound(query.condition) if query.condition is not None else None


# Compilation to a predicate over a row.


def _compile(node: tuple, sobject: SObjectType) -> Callable[[Row], bool]:
    kind = node[0]
    if kind == "and":
        parts = [_compile(n, sobject) for n in node[1]]
        return lambda row: all(p(row) for p in parts)
    if kind == "or":
        parts = [_compile(n, sobject) for n in node[1]]
        return lambda row: any(p(row) for p in parts)
    if kind == "not":
        inner = _compile(node[1], sobject)
        return lambda row: not inner(row)
    f: Field = node[1]
    at = sobject.positions[f.name]
    text = f.type in TEXT_TYPES
    if kind in ("in", "notin"):
        values = {_comparable(lit.value, text) for lit in node[2]}
        if kind == "in":
            return lambda row: _comparable(row[at], text) in values
        return lambda row: _comparable(row[at], text) not in values
    if kind == "like":
        pattern = _like_regex(node[2].value)
        return lambda row: row[at] is not None and pattern.match(row[at]) is not None
    op, lit = node[2], node[3]
    value = _comparable(lit.value, text)
    if f.type == "multipicklist" and op in ("=", "!="):
        wanted = set(value.split(";")) if value else set()

        def same(row: Row) -> bool:
            held = row[at]
            return held is not None and set(held.lower().split(";")) == wanted

        return same if op == "=" else (lambda row: not same(row))
    if op == "=":
        return lambda row: _comparable(row[at], text) == value
    if op == "!=":
        return lambda row: _comparable(row[at], text) != value
    compare = {
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    }[op]
    if text:
        return lambda row: row[at] is not None and compare(row[at].lower(), value)
    return lambda row: row[at] is not None and compare(row[at], value)


def _comparable(value: Any, text: bool) -> Any:
    return value.lower() if text and isinstance(value, str) else value


def _like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE | re.DOTALL)


def _modstamp_bound(node: tuple) -> tuple[str, bool] | None:
    """The least SystemModstamp a matching row can have, if the condition implies one."""
    kind = node[0]
    if kind == "cmp" and node[1].name == "SystemModstamp" and node[3].kind == "datetime":
        op, value = node[2], node[3].value
        if op in (">=", "="):
            return (value, True)
        if op == ">":
            return (value, False)
        return None
    if kind == "and":
        bounds = [b for b in (_modstamp_bound(n) for n in node[1]) if b]
        return max(bounds, key=lambda b: (b[0], not b[1])) if bounds else None
    if kind == "or":
        bounds = [_modstamp_bound(n) for n in node[1]]
        if not bounds or any(b is None for b in bounds):
            return None
        return min(bounds, key=lambda b: (b[0], not b[1]))  # type: ignore[index]
    return None


def _id_lookup(node: tuple) -> list[str] | None:
    kind = node[0]
    if kind == "cmp" and node[1].name == "Id" and node[2] == "=" and node[3].kind == "string":
        return [node[3].value]
    if kind == "in" and node[1].name == "Id":
        return list(dict.fromkeys(lit.value for lit in node[2] if lit.kind == "string"))
    if kind == "and":
        for n in node[1]:
            ids = _id_lookup(n)
            if ids is not None:
                return ids
    return None
