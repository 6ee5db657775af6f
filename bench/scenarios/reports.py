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


def log_rows(orgs: dict[int, int], now: datetime, stats: dict[int, Counter]
             ) -> Iterator[list[Row]]:
    """Chunks of (org, entity, sf id, fm id, name, action, direction, status, error code,
    error message, owner_fallback, created_at), oldest first, the orgs' rows interleaved as
    they happen (orgs: id → rows); counts go into stats[org]."""
    rng = random.Random(6)
    count = sum(orgs.values())
    start = now - SPAN
    step = SPAN / count
    ids, weights = list(orgs), list(orgs.values())
    chunk: list[Row] = []
    for i in range(count):
        org_id = rng.choices(ids, weights)[0]
        at = start + step * i
        entity = rng.choice(ENTITIES)
        flow = rng.choice(FLOWS)
        action = rng.choice(ACTIONS)
        failed = rng.random() < 0.02
        column = "failed" if failed else action.lower()
        stats[org_id][(entity, flow, at.replace(minute=0, second=0, microsecond=0), column)] += 1
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


def seed_sqlite(path: str, orgs: dict[int, int]) -> None:
    def text(value: object) -> object:
        return value.isoformat(" ") if isinstance(value, datetime) else value

    stats: dict[int, Counter] = {org_id: Counter() for org_id in orgs}
    db = sqlite3.connect(path)
    try:
        marks = ", ".join("?" * len(LOG_COLUMNS))
        for chunk in log_rows(orgs, datetime.now(UTC), stats):
            db.executemany(
                f"INSERT INTO sync_log_entry ({', '.join(LOG_COLUMNS)}) VALUES ({marks})",
                [tuple(text(v) for v in row) for row in chunk],
            )
        marks = ", ".join("?" * len(STAT_COLUMNS))
        for org_id, counts in stats.items():
            db.executemany(
                f"INSERT INTO stat_counter ({', '.join(STAT_COLUMNS)}) VALUES ({marks})",
                [tuple(text(v) for v in row) for row in stat_rows(org_id, counts)],
            )
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


async def seed_postgres(url: str, orgs: dict[int, int]) -> None:
    stats: dict[int, Counter] = {org_id: Counter() for org_id in orgs}
    db = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        for chunk in log_rows(orgs, datetime.now(UTC), stats):
            await db.copy_records_to_table("sync_log_entry", records=chunk, columns=LOG_COLUMNS)
        for org_id, counts in stats.items():
            await db.copy_records_to_table(
                "stat_counter", records=stat_rows(org_id, counts), columns=STAT_COLUMNS
            )
        await db.execute("ANALYZE")
    finally:
        await db.close()


async def measure(database: str, size: Size) -> list[Figure]:
    from server.organizations.service import create_organization

    async with bench_env(database) as values:
        org, token = await create_organization("Bench", "business")
        # A smaller org whose rows interleave with the big one's: every query must scope
        # by organization, and its latest rows are not at the end of the table.
        other, other_token = await create_organization("Other", "business")
        url = values["DATABASE_URL"]
        orgs = {org.id: size.log_rows, other.id: size.log_rows // 10}
        if database == "sqlite":
            seed_sqlite(url.removeprefix("sqlite://"), orgs)
        else:
            await seed_postgres(url, orgs)
        api = ApiProcess(values)
        try:
            await api.wait_ready()
            floor, _ = await timed_queries(api.url, token, FLOOR, size.queries)
            rows = sum(orgs.values())
            figures = []
            for name, query, who in (("statistics", STATISTICS, token),
                                     ("last 100", RECENT, token),
                                     ("last 100 (org with 1/10 the rows)", RECENT, other_token)):
                samples, data = await timed_queries(api.url, who, query, size.queries)
                check_answer(name, data)
                for p in (50, 95):
                    value = percentile(samples, p)
                    figures.append(Figure(
                        "reports", f"{name} p{p}, {database}, {rows:,} rows", value,
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
    if name.startswith("statistics"):
        rows = data["syncStatistics"]["entities"]
        if not rows or sum(r["created"] + r["updated"] for r in rows) == 0:
            raise RuntimeError(f"statistics came back empty: {data}")
    elif len(data["recentSyncRecords"]["records"]) != 100:
        raise RuntimeError("recentSyncRecords did not return 100 records")


async def run(size: Size) -> list[Figure]:
    return [*await measure("sqlite", size), *await measure("postgres", size)]
