"""What sits in front of the data: credentials and sessions, the rate limit, injected faults
and the counters of API calls. The admin surface changes all of it at run time."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sandboxes.forcemanager.errors import SandboxError, bad_request


class Sessions:
    def __init__(self, credentials: dict[str, str], ttl: float | None = None) -> None:
        self.credentials = dict(credentials)
        self.ttl = ttl
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (public key, issued at)
        self._lock = threading.Lock()

    def login(self, public_key: Any, private_key: Any) -> str:
        if not isinstance(public_key, str) or not isinstance(private_key, str):
            raise bad_request("INVALID_BODY", "username and password must be strings")
        expected = self.credentials.get(public_key)
        if expected is None or not secrets.compare_digest(expected, private_key):
            raise SandboxError(401, "INVALID_CREDENTIALS", "the API keys were not accepted")
        token = secrets.token_hex(24)
        with self._lock:
            self._tokens[token] = (public_key, time.monotonic())
        return token

    def credential_of(self, token: str | None) -> str | None:
        """The public key a live session belongs to, or None."""
        if not token:
            return None
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None
            if self.ttl is not None and time.monotonic() - entry[1] > self.ttl:
                del self._tokens[token]
                return None
            return entry[0]

    def expire_all(self) -> int:
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count


class RateLimiter:
    """A token bucket per credential: `rate` requests a second, bursts up to `rate`."""

    def __init__(self, rate: float | None) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated at)
        self.rate = rate

    @property
    def rate(self) -> float | None:
        return self._rate

    @rate.setter
    def rate(self, value: float | None) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
        ):
            raise bad_request("INVALID_VALUE", "rate must be a positive number or null")
        self._rate = float(value) if value is not None else None
        self._buckets = {}

    def allow(self, key: str) -> bool:
        rate = self._rate
        if rate is None:
            return True
        capacity = max(1.0, rate)
        now = time.monotonic()
        with self._lock:
            tokens, updated = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - updated) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True


class Allowance:
    """A number of API calls left, off by default. ForceManager documents only a rate limit;
    this knob lets tests spend an allowance and watch callers stop, as they must for
    Salesforce's daily one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.remaining: int | None = None

    def set(self, remaining: Any) -> None:
        if remaining is not None and (
            isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 0
        ):
            raise bad_request("INVALID_VALUE", "remaining must be an integer >= 0 or null")
        with self._lock:
            self.remaining = remaining

    def spend(self) -> bool:
        with self._lock:
            if self.remaining is None:
                return True
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True


@dataclass
class FailRule:
    status: int = 500
    error: str = "INTERNAL_ERROR"
    message: str = "injected failure"
    path_prefix: str = ""  # relative to /api/v4, e.g. "/accounts"
    count: int | None = None  # fail the next N matching requests
    share: float | None = None  # or fail this share of them

    def matches(self, path: str) -> bool:
        return path.startswith(self.path_prefix)


@dataclass
class Faults:
    latency: float = 0.0
    rules: list[FailRule] = field(default_factory=list)
    seed: int = 1
    _rng: random.Random = field(default_factory=lambda: random.Random(1), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, spec: Any) -> FailRule:
        """A rule from the admin's JSON: {status, error?, message?, path_prefix?, count|share}."""
        if not isinstance(spec, dict):
            raise bad_request("INVALID_BODY", "a fault is a JSON object")
        unknown = set(spec) - {"status", "error", "message", "path_prefix", "count", "share"}
        if unknown:
            raise bad_request("INVALID_FIELD", f"unknown fault settings {sorted(unknown)}")
        status = spec.get("status", 500)
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise bad_request("INVALID_VALUE", "status must be an HTTP error status (400-599)")
        count, share = spec.get("count"), spec.get("share")
        if (count is None) == (share is None):
            raise bad_request("INVALID_VALUE", "give exactly one of count or share")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise bad_request("INVALID_VALUE", "count must be a positive integer")
        if share is not None and (isinstance(share, bool) or not isinstance(share, int | float)
                                  or not 0 < share <= 1):
            raise bad_request("INVALID_VALUE", "share must be a number in (0, 1]")
        for key in ("error", "message", "path_prefix"):
            if key in spec and not isinstance(spec[key], str):
                raise bad_request("INVALID_VALUE", f"{key} must be a string")
        default_error = {429: "RATE_LIMIT_EXCEEDED", 401: "INVALID_SESSION",
                         503: "SERVICE_UNAVAILABLE"}.get(status, "INTERNAL_ERROR"
                                                         if status >= 500 else "BAD_REQUEST")
        rule = FailRule(
            status=status,
            error=spec.get("error", default_error),
            message=spec.get("message", "injected failure"),
            path_prefix=spec.get("path_prefix", ""),
            count=count,
            share=float(share) if share is not None else None,
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def set_latency(self, seconds: Any) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise bad_request("INVALID_VALUE", "latency must be a number of seconds >= 0")
        self.latency = float(seconds)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.latency = 0.0
            self._rng = random.Random(self.seed)

    def failure_for(self, path: str) -> SandboxError | None:
        with self._lock:
            for rule in self.rules:
                if not rule.matches(path):
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self.rules.remove(rule)
                    return SandboxError(rule.status, rule.error, rule.message)
                if rule.share is not None and self._rng.random() < rule.share:
                    return SandboxError(rule.status, rule.error, rule.message)
        return None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"latency": self.latency, "rules": [asdict(r) for r in self.rules]}


class Counters:
    """API calls by kind ("list accounts", "bulk_create contacts", "login", …) and outcomes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kinds: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()

    def count(self, kind: str) -> None:
        with self._lock:
            self._kinds[kind] += 1

    def outcome(self, name: str) -> None:
        with self._lock:
            self._outcomes[name] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._kinds.values()),
                "refused": self._outcomes["refused"],
                "unauthorized": self._outcomes["unauthorized"],
                "faults": self._outcomes["faults"],
                "quota": self._outcomes["quota"],
                "errors": self._outcomes["errors"],
                "by_kind": dict(sorted(self._kinds.items())),
            }

    def reset(self) -> None:
        with self._lock:
            self._kinds.clear()
            self._outcomes.clear()
