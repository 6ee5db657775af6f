"""Tortoise configuration shared by the API server, the worker, the CLI and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.config import get_settings

MODELS = ["server.models"]


def tortoise_config(database_url: str | None = None) -> dict[str, Any]:
    url = database_url or get_settings().database_url
    if url.startswith("sqlite://") and ":memory:" not in url:
        # aiosqlite hangs (instead of failing) when the file's folder does not exist.
        Path(url.removeprefix("sqlite://").split("?")[0]).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": _connection(url)},
        "apps": {
            "models": {
                "models": MODELS,
                "default_connection": "default",
                # Tortoise's built-in migrations: `python -m server migrate`.
                "migrations": "server.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str) -> str | dict[str, Any]:
    if not url.startswith(("postgres://", "asyncpg://")):
        return url
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(url)
    config["credentials"]["reset"] = _keep_session
    return config


async def _keep_session(connection: Any) -> None:
    """What the pool does to a connection it takes back, besides rolling back a transaction
    left open (asyncpg always does that). Its default also runs `SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`: one more round trip for
    every query made outside a transaction (1,000 in a 30k-record load), for session state
    this application never sets: no advisory locks, cursors, LISTEN or SET."""


async def init_db(database_url: str | None = None, *, create_schema: bool = False) -> None:
    """Initialise Tortoise for this process (CLI, worker, scripts)."""
    from tortoise import Tortoise

    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    if create_schema:
        await Tortoise.generate_schemas(safe=True)


async def close_db() -> None:
    """Close connections and forget the model registry, so a later init may pick another
    database dialect in the same process (tests run SQLite then PostgreSQL)."""
    from tortoise import Tortoise
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    await Tortoise.close_connections()
    await Tortoise._reset_apps()
    # Tortoise caches SQL per connection name, not per dialect.
    EXECUTOR_CACHE.clear()


def __getattr__(name: str) -> Any:
    # `tortoise -c server.db.TORTOISE_ORM makemigrations` reads the config from a module
    # variable; computed on access so it follows DATABASE_URL.
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)
