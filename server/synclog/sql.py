"""Multi-row INSERTs through Tortoise's current connection (inside a transaction when one is
open), for the rows the engine writes by the hundred: log entries, statistics, record links.

Building a Model object per row cost more than the write itself (bench: an initial load
spent a third of its time in Model.__init__ and bulk_create). Values go in as the database
takes them: enums as their value, JSON as text, datetimes aware. Works on SQLite (3.35+:
RETURNING, ON CONFLICT) and PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

# PostgreSQL takes at most 32767 parameters a statement, SQLite (3.32+) 32766.
MAX_PARAMETERS = 30_000
# asyncpg's default max_cacheable_statement_size: longer statements are not kept prepared.
CACHEABLE_SQL = 15 * 1024


def connection(model: type[Model]) -> BaseDBAsyncClient:
    return model._meta.db


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def values_list(conn: BaseDBAsyncClient, rows: int, columns: int) -> str:
    """`(?, ?), (?, ?)` or `($1, $2), ($3, $4)`: the VALUES of a multi-row INSERT."""
    return _values_list(is_postgres(conn), rows, columns)


@functools.lru_cache(maxsize=64)  # a load asks for the same few shapes thousands of times
def _values_list(postgres: bool, rows: int, columns: int) -> str:
    if postgres:
        return ", ".join(
            "(" + ", ".join(f"${r * columns + c + 1}" for c in range(columns)) + ")"
            for r in range(rows)
        )
    one = "(" + ", ".join("?" * columns) + ")"
    return ", ".join([one] * rows)


def placeholders(conn: BaseDBAsyncClient, count: int, first: int = 1) -> str:
    """`?, ?` or `$first, $first+1`: the parameters of a raw statement, numbered from
    `first` (counted from 1)."""
    return _placeholders(is_postgres(conn), count, first)


@functools.lru_cache(maxsize=64)
def _placeholders(postgres: bool, count: int, first: int) -> str:
    if postgres:
        return ", ".join(f"${n}" for n in range(first, first + count))
    return ", ".join("?" * count)


async def select_in(
    model: type[Model],
    columns: Sequence[str],
    where: str,
    params: Sequence[Any],
    column: str,
    values: Sequence[Any],
) -> list[dict[str, Any]]:
    """Rows of `model` matching `where` (over `params`, numbered from 1) AND `column` IN
    `values`, as dicts of `columns`. Raw: the ORM's query builder cost more than the query
    for the 200-value IN lists the engine asks per batch (pypika builds a term per value)."""
    conn = connection(model)
    table = model._meta.db_table
    head = f"SELECT {', '.join(columns)} FROM {table} WHERE"
    if is_postgres(conn):
        # One array parameter: the statement's text is the same whatever the count, so
        # asyncpg prepares it once instead of once per distinct list length.
        where = where.format(*(f"${n}" for n in range(1, len(params) + 1)))
        sql = f"{head} {where} AND {column} = ANY(${len(params) + 1})"
        return await conn.execute_query_dict(sql, [*params, list(values)])
    where = where.format(*("?" * len(params)))
    step = max(1, MAX_PARAMETERS - len(params))
    out: list[dict[str, Any]] = []
    for start in range(0, len(values), step):
        part = values[start : start + step]
        marks = placeholders(conn, len(part), len(params) + 1)
        sql = f"{head} {where} AND {column} IN ({marks})"
        out.extend(await conn.execute_query_dict(sql, [*params, *part]))
    return out


async def update_by_id(
    model: type[Model], row_id: Any, values: dict[str, Any] | None = None,
    add: dict[str, int] | None = None,
) -> None:
    """UPDATE one row by primary key: set `values` (as the database takes them), add `add`
    to its columns. Raw for the run's progress and totals, written once per batch."""
    conn = connection(model)
    values, add = values or {}, add or {}
    if not values and not add:
        return
    marks = placeholders(conn, len(values) + len(add) + 1).split(", ")
    assignments = [f"{c} = {m}" for c, m in zip(values, marks, strict=False)]
    assignments += [f"{c} = {c} + {m}" for c, m in zip(add, marks[len(values):], strict=False)]
    sql = (f"UPDATE {model._meta.db_table} SET {', '.join(assignments)} "
           f"WHERE {model._meta.db_pk_column} = {marks[-1]}")
    await conn.execute_query(sql, [*values.values(), *add.values(), row_id])


async def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    suffix: str = "",
    returning: str | None = None,
) -> list[Any]:
    """INSERT rows (each a tuple in `columns` order) in as few statements as stay
    cacheable; with `returning`, that column of the new rows, in insertion order."""
    conn = connection(model)
    head = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES "
    tail = f" {suffix}" + (f" RETURNING {returning}" if returning else "")
    step = _rows_per_statement(conn, len(rows), len(columns), len(head) + len(tail))
    out: list[Any] = []
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        sql = f"{head}{values_list(conn, len(part), len(columns))}{tail}"
        params = [value for row in part for value in row]
        if returning is None:
            await conn.execute_query(sql, params)
            continue
        found = await conn.execute_query_dict(sql, params)
        # Both databases number new rows in VALUES order; RETURNING's own order is not
        # specified.
        out.extend(sorted(row[returning] for row in found))
    return out


def _rows_per_statement(conn: BaseDBAsyncClient, rows: int, columns: int, fixed: int) -> int:
    """Rows an INSERT carries. On PostgreSQL, few enough for asyncpg to keep the statement
    prepared: a longer one is prepared again on every call (a second round trip and a
    server-side parse), which a batch of 200 log entries (14 columns) was. Halving keeps the
    parts the same size, so they share one prepared statement."""
    step = max(1, min(rows, MAX_PARAMETERS // columns))
    if is_postgres(conn):
        while step > 1 and fixed + len(values_list(conn, step, columns)) > CACHEABLE_SQL:
            step = (step + 1) // 2
    return step
