"""Errors both API clients raise, classified by what the caller should do about them."""

from __future__ import annotations

from dataclasses import dataclass, field

# Per-record error codes worth another try later (the row was busy, not wrong).
TRANSIENT_RECORD_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "TIMEOUT"})


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class TransientError(ApiError):
    """Server trouble, row locks, timeouts, connection errors: retries ran out."""


class PermanentError(ApiError):
    """The request itself is wrong; repeating it gives the same answer."""


class QuotaExceeded(ApiError):
    """The org's API allowance is spent: stop calling, resume later."""


class AuthError(ApiError):
    """The credentials were refused or could not be refreshed: a person must reconnect."""


@dataclass
class RecordResult:
    id: str | int | None
    success: bool
    error_code: str | None = None
    message: str | None = None
    fields: list[str] = field(default_factory=list)

    @property
    def transient(self) -> bool:
        return not self.success and self.error_code in TRANSIENT_RECORD_CODES
