"""Statistics and last-100 queries over HTTP at N sync-log rows, on SQLite and PostgreSQL.

The log is written straight into the tables (the engine's write path would take hours for a
million rows), with the hourly StatCounter rows that the engine keeps in step with it."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.env import ApiProcess, bench_env
from bench.figures import Figure, at_most, percentile
from bench.http import timed_queries
from bench.sizes import Size

ENTITIES = ["ACCOUNT", "CONTACT", "OPPORTUNITY", "TASK", "EVENT"]
FLOWS = ["SALESFORCE_TO_FORCEMANAGER", "FORCEMANAGER_TO_SALESFORCE"]
ACTIONS = ["CREATED", "UPDATED", "UPDATED", "UPDATED", "DELETED"]
SPAN = timedelta(days=90)
CHUNK = 50_000
TARGET_MS = 50.0

STATISTICS = """{ syncStatistics { ... on SyncStatistics { since until
  entities { entity direction created updated deleted failed } } } }"""
RECENT = """{ recentSyncRecords(limit: 100) { ... on SyncRecordList { records {
  id entity recordName salesforceId forcemanagerId action direction status errorCode
  errorMessage ownerFallback runId at } } } }"""

# The floor of the stack (HTTP + auth + GraphQL, no database work): the baseline.
FLOOR = "{ __typename }"

Row = tuple


def log_rows(org_id: int, count: int, now: datetime, stats: Counter) -> Iterator[list[Row]]:
    """Chunks of (org, entity, sf id, fm id, name, action, direction, status, error code,
    error message, owner_fallback, created_at), oldest first; counts go into `stats`."""
    rng = random.Random(6)
    start = now - SPAN
    step = SPAN / count
    chunk: list[Row] = []
    for i in range(count):
        at = start + step * i
        entity = rng.choice(ENTITIES)
        flow = rng.choice(FLOWS)
        action = rng.choice(ACTIONS)
        failed = rng.random() < 0.02
        column = "failed" if failed else action.lower()
        stats[(entity, flow, at.replace(minute=0, second=0, microsecond=0), column)] += 1
        chunk.append((
            org_id, entity, f"001{i:015d}", 100_000 + i, f"Record {i}", action, flow,
            "ERROR" if failed else "SUCCESS",
            "FIELD_CUSTOM_VALIDATION_EXCEPTION" if failed else None,
            "Phone is not valid" if failed else None, False, at,
        ))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


LOG_COLUMNS = ["organization_id", "entity", "salesforce_id", "forcemanager_id", "record_name",
               "action", "direction", "status", "error_code", "error_message", "owner_fallback",
               "created_at"]
STAT_COLUMNS = ["organization_id", "entity", "direction", "hour", "created", "updated",
                "deleted", "failed"]


def stat_rows(org_id: int, stats: Counter) -> list[Row]:
    merged: dict[tuple, dict[str, int]] = {}
    for (entity, flow, hour, column), n in stats.items():
        merged.setdefault((entity, flow, hour), Counter())[column] += n
    return [
        (org_id, entity, flow, hour, c["created"], c["updated"], c["deleted"], c["failed"])
        for (entity, flow, hour), c in merged.items()
    ]


def seed_sqlite(path: str, org_id: int, count: int) -> None:
    def text(value: object) -> object:
        return value.isoformat(" ") if isinstance(value, datetime) else value

    stats: Counter = Counter()
    db = sqlite3.connect(path)
    try:
        marks = ", ".join("?" * len(LOG_COLUMNS))
        for chunk in log_rows(org_id, count, datetime.now(UTC), stats):
            db.executemany(
                f"INSERT INTO sync_log_entry ({', '.join(LOG_COLUMNS)}) VALUES ({marks})",
                [tuple(text(v) for v in row) for row in chunk],
            )
        marks = ", ".join("?" * len(STAT_COLUMNS))
        db.executemany(
            f"INSERT INTO stat_counter ({', '.join(STAT_COLUMNS)}) VALUES ({marks})",
            [tuple(text(v) for v in row) for row in stat_rows(org_id, stats)],
        )
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


async def seed_postgres(url: str, org_id: int, count: int) -> None:
    stats: Counter = Counter()
    db = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        for chunk in log_rows(org_id, count, datetime.now(UTC), stats):
            await db.copy_records_to_table("sync_log_entry", records=chunk, columns=LOG_COLUMNS)
        await db.copy_records_to_table(
            "stat_counter", records=stat_rows(org_id, stats), columns=STAT_COLUMNS
        )
        await db.execute("ANALYZE")
    finally:
        await db.close()


async def measure(database: str, size: Size) -> list[Figure]:
    from server.organizations.service import create_organization

    async with bench_env(database) as values:
        org, token = await create_organization("Bench", "business")
        # A second org, so every query has to scope by organization.
        other, _ = await create_organization("Other", "business")
        url = values["DATABASE_URL"]
        if database == "sqlite":
            seed_sqlite(url.removeprefix("sqlite://"), org.id, size.log_rows)
            seed_sqlite(url.removeprefix("sqlite://"), other.id, size.log_rows // 10)
        else:
            await seed_postgres(url, org.id, size.log_rows)
            await seed_postgres(url, other.id, size.log_rows // 10)
        api = ApiProcess(values)
        try:
            await api.wait_ready()
            floor, _ = await timed_queries(api.url, token, FLOOR, size.queries)
            figures = []
            for name, query in (("statistics", STATISTICS), ("last 100", RECENT)):
                samples, data = await timed_queries(api.url, token, query, size.queries)
                check_answer(name, data)
                for p in (50, 95):
                    value = percentile(samples, p)
                    figures.append(Figure(
                        "reports", f"{name} p{p}, {database}, {size.log_rows:,} rows", value,
                        "ms", bound=percentile(floor, p), bound_label=f"{{ __typename }} p{p}",
                        target=f"p95 < {TARGET_MS:.0f} ms" if p == 95 else "",
                        met=at_most(value, TARGET_MS) if p == 95 else None,
                        extra={"samples": len(samples)},
                    ))
            return figures
        finally:
            api.stop()


def check_answer(name: str, data: dict) -> None:
    """The benchmark measures real answers: an empty one means the seeding went wrong."""
    if name == "statistics":
        rows = data["syncStatistics"]["entities"]
        if not rows or sum(r["created"] + r["updated"] for r in rows) == 0:
            raise RuntimeError(f"statistics came back empty: {data}")
    elif len(data["recentSyncRecords"]["records"]) != 100:
        raise RuntimeError("recentSyncRecords did not return 100 records")


async def run(size: Size) -> list[Figure]:
    return [*await measure("sqlite", size), *await measure("postgres", size)]
