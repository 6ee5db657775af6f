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


async def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    suffix: str = "",
    returning: str | None = None,
) -> list[Any]:
    """INSERT rows (each a tuple in `columns` order) in one statement; with `returning`,
    that column of the new rows, in insertion order."""
    conn = connection(model)
    table = model._meta.db_table
    step = max(1, MAX_PARAMETERS // len(columns))
    out: list[Any] = []
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES {values_list(conn, len(part), len(columns))} {suffix}"
        )
        params = [value for row in part for value in row]
        if returning is None:
            await conn.execute_query(sql, params)
            continue
        found = await conn.execute_query_dict(f"{sql} RETURNING {returning}", params)
        # Both databases number new rows in VALUES order; RETURNING's own order is not
        # specified.
        out.extend(sorted(row[returning] for row in found))
    return out
