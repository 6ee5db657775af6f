"""Settings, read once from the environment.

Every variable has an embedded default that works on a developer machine (SQLite, the local
Redis); production sets them explicitly. The README lists them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(os.environ.get("DATA_DIR", "data"))


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _dev_secret_key() -> str:
    """A Fernet key kept in the data folder, so a local run needs no setup.

    Production sets SECRET_KEY; this file only exists on developer machines.
    """
    from cryptography.fernet import Fernet

    path = DATA_DIR / "secret.key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: os.environ.get(
            "DATABASE_URL", f"sqlite://{DATA_DIR / 'integration.sqlite3'}"
        )
    )
    redis_url: str = field(
        default_factory=lambda: os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    # Namespaces every Redis key and the arq queue, so several deployments (or test runs)
    # can share one Redis.
    redis_prefix: str = field(default_factory=lambda: os.environ.get("REDIS_PREFIX", "fmsf"))
    # Comma-separated Fernet keys; the first encrypts, all decrypt (key rotation).
    secret_keys: list[str] = field(
        default_factory=lambda: _list(os.environ.get("SECRET_KEY", "")) or [_dev_secret_key()]
    )
    eligible_plans: list[str] = field(
        default_factory=lambda: _list(os.environ.get("ELIGIBLE_PLANS", "business,enterprise"))
    )
    salesforce_login_url: str = field(
        default_factory=lambda: os.environ.get(
            "SALESFORCE_LOGIN_URL", "https://login.salesforce.com"
        )
    )
    salesforce_client_id: str = field(
        default_factory=lambda: os.environ.get("SALESFORCE_CLIENT_ID", "")
    )
    salesforce_client_secret: str = field(
        default_factory=lambda: os.environ.get("SALESFORCE_CLIENT_SECRET", "")
    )
    # CA bundle to trust for Salesforce (the local sandbox's throwaway CA); empty = system CAs.
    salesforce_ca_bundle: str = field(
        default_factory=lambda: os.environ.get("SALESFORCE_CA_BUNDLE", "")
    )
    salesforce_api_version: str = field(
        default_factory=lambda: os.environ.get("SALESFORCE_API_VERSION", "59.0")
    )
    forcemanager_base_url: str = field(
        default_factory=lambda: os.environ.get(
            "FORCEMANAGER_BASE_URL", "https://api.forcemanager.com/api/v4"
        )
    )
    forcemanager_rate_limit: float = field(
        default_factory=lambda: float(os.environ.get("FORCEMANAGER_RATE_LIMIT", "13"))
    )
    sync_interval_minutes: int = field(
        default_factory=lambda: int(os.environ.get("SYNC_INTERVAL_MINUTES", "15"))
    )
    sync_log_retention_days: int = field(
        default_factory=lambda: int(os.environ.get("SYNC_LOG_RETENTION_DAYS", "90"))
    )
    events_stream_maxlen: int = field(
        default_factory=lambda: int(os.environ.get("EVENTS_STREAM_MAXLEN", "10000"))
    )
    allowed_origins: list[str] = field(
        default_factory=lambda: _list(os.environ.get("ALLOWED_ORIGINS", ""))
    )
    public_url: str = field(
        default_factory=lambda: os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
