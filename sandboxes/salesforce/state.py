"""Everything the sandbox remembers besides records: sessions, the API allowance, counters,
fault knobs, open query cursors and Bulk jobs."""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sandboxes.salesforce.seed import SeedSizes
from sandboxes.salesforce.store import Store

MAX_CURSORS = 2000  # Salesforce keeps a limited number of open query cursors per user


@dataclass
class Session:
    token: str
    user_id: str
    expires_at: float
    refresh_token: str | None = None


@dataclass
class Cursor:
    """An open query: its result ids are fixed when the query runs, values read per page."""

    sobject: str
    ids: list[str]
    fields: list[str]
    batch_size: int


@dataclass
class FailRule:
    count: int
    status: int
    error_code: str
    message: str
    path_prefix: str = ""


@dataclass
class Faults:
    latency: float = 0.0  # seconds added to every API answer
    fail_next: list[FailRule] = field(default_factory=list)
    fail_share: float = 0.0
    fail_share_status: int = 503
    fail_share_code: str = "SERVER_UNAVAILABLE"
    fail_share_prefix: str = ""
    record_errors: int = 0  # next N records written through collections fail...
    record_error_code: str = "UNABLE_TO_LOCK_ROW"  # ...with this status code
    deny_authorization: bool = False
    bulk_polls: int = 0  # polls a new Bulk job answers InProgress before JobComplete
    bulk_fail: int = 0  # the next N Bulk jobs end Failed
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def pick(self, path: str) -> tuple[int, str, str] | None:
        """The (status, errorCode, message) a request must fail with, if any."""
        for rule in self.fail_next:
            if rule.count > 0 and path.startswith(rule.path_prefix):
                rule.count -= 1
                if rule.count == 0:
                    self.fail_next.remove(rule)
                return rule.status, rule.error_code, rule.message
        if (
            self.fail_share
            and path.startswith(self.fail_share_prefix)
            and self.rng.random() < self.fail_share
        ):
            code = self.fail_share_code
            return self.fail_share_status, code, f"{code}: injected by the sandbox"
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "fail_next": [
                {"count": r.count, "status": r.status, "errorCode": r.error_code,
                 "message": r.message, "path_prefix": r.path_prefix}
                for r in self.fail_next
            ],
            "fail_share": {"ratio": self.fail_share, "status": self.fail_share_status,
                           "errorCode": self.fail_share_code,
                           "path_prefix": self.fail_share_prefix},
            "record_errors": {"count": self.record_errors, "errorCode": self.record_error_code},
            "deny_authorization": self.deny_authorization,
            "bulk_polls": self.bulk_polls,
            "bulk_fail": self.bulk_fail,
        }


class SandboxState:
    def __init__(self, store: Store, api_limit: int, session_seconds: float = 7200.0) -> None:
        self.store = store
        self.seed = 1
        self.sizes = SeedSizes()
        self.activity: Any = None  # the people-at-work task (activity.py)
        self.api_limit = api_limit
        self.api_used = 0
        self.session_seconds = session_seconds
        self.sessions: dict[str, Session] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user id
        self.codes: dict[str, tuple[str, str, float]] = {}  # code -> (client, redirect, exp)
        self.counters: Counter[str] = Counter()
        self.faults = Faults()
        self.cursors: OrderedDict[str, Cursor] = OrderedDict()
        self.jobs: dict[str, dict[str, Any]] = {}

    # sessions

    def new_session(self, user_id: str, refresh_token: str | None = None) -> Session:
        token = f"{self.store.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
        session = Session(token, user_id, time.monotonic() + self.session_seconds, refresh_token)
        self.sessions[token] = session
        return session

    def session(self, token: str) -> Session | None:
        session = self.sessions.get(token)
        if session is None:
            return None
        if session.expires_at < time.monotonic():
            del self.sessions[token]
            return None
        return session

    def expire_sessions(self) -> int:
        count = len(self.sessions)
        self.sessions.clear()
        return count

    def revoke(self, token: str) -> bool:
        if token in self.sessions:
            del self.sessions[token]
            return True
        if token in self.refresh_tokens:
            del self.refresh_tokens[token]
            for key in [k for k, s in self.sessions.items() if s.refresh_token == token]:
                del self.sessions[key]
            return True
        return False

    # cursors

    def open_cursor(self, cursor: Cursor) -> str:
        locator = "01g" + secrets.token_hex(8)[:15].upper()
        self.cursors[locator] = cursor
        while len(self.cursors) > MAX_CURSORS:
            self.cursors.popitem(last=False)
        return locator

    @property
    def limit_info(self) -> str:
        return f"api-usage={self.api_used}/{self.api_limit}"
