"""Tortoise migrations bring an empty PostgreSQL database to the current models."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from server.db import close_db, tortoise_config
from tests.fixtures.services import POSTGRES_URL, START_POSTGRES, require_port

TABLES = {
    "organization",
    "api_token",
    "integration",
    "oauth_state",
    "entity_setting",
    "user_match",
    "sync_run",
    "sync_log_entry",
    "stat_counter",
    "record_link",
    "sync_cursor",
    "backup",
    "backup_record",
}


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://")


@pytest.fixture
async def empty_postgres() -> AsyncIterator[str]:
    require_port("127.0.0.1", 5432, "PostgreSQL", START_POSTGRES)
    name = f"fmsf_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(POSTGRES_URL))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        await close_db()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_migrate_empty_postgres_to_current(empty_postgres: str) -> None:
    await migrate(config=tortoise_config(empty_postgres))
    await close_db()
    conn = await asyncpg.connect(_dsn(empty_postgres))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'integration'"
        )
    finally:
        await conn.close()
    assert TABLES <= {r["tablename"] for r in rows}
    assert {"state", "salesforce_access_token_enc", "next_run_at"} <= {
        c["column_name"] for c in columns
    }
    # Migrating again is a no-op.
    await migrate(config=tortoise_config(empty_postgres))


async def test_migrations_are_up_to_date_with_the_models(empty_postgres: str) -> None:
    """A model change without its migration fails here: run `python -m server makemigrations`."""
    config = tortoise_config(empty_postgres)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        writers = await detector.changes()
    await Tortoise._reset_apps()
    assert [w.name for w in writers] == []
