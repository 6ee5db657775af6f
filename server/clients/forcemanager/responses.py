"""Reading ForceManager's answers: JSON bodies, its {error, code, message} errors and the
per-item results of bulk calls."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from server.clients.errors import PermanentError, RecordResult


def read_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise PermanentError(
            "UNEXPECTED_RESPONSE", f"{response.request.method} {response.request.url.path} "
            "did not answer JSON", response.status_code,
        ) from None


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(code, message) from ForceManager's {error, code, message} body, or from the status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    fallback = f"HTTP_{response.status_code}"
    if isinstance(body, dict):
        code = body.get("error")
        message = body.get("message") or body.get("Message") or response.reason_phrase
        return (code if isinstance(code, str) and code else fallback), str(message)
    return fallback, (response.text[:200] or response.reason_phrase)


class Page(list):
    """One page of a list read. `server_time` is ForceManager's clock when it answered (from
    the `Date` header, whole seconds, rounded down), None when it did not say."""

    server_time: datetime | None

    def __init__(self, rows: list[dict[str, Any]], server_time: datetime | None = None) -> None:
        super().__init__(rows)
        self.server_time = server_time


def server_time(response: httpx.Response) -> datetime | None:
    try:
        moment = parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def page_size_served(response: httpx.Response) -> int | None:
    """The page size the server used (its `count` header), when it says."""
    try:
        served = int(response.headers.get("count", ""))
    except ValueError:
        return None
    return served if served > 0 else None


def retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def record_result(answer: dict[str, Any] | None, sent_id: Any) -> RecordResult:
    if answer is None:
        return RecordResult(sent_id, False, "MISSING_RESULT", "the bulk answer left it out")
    if answer.get("success"):
        return RecordResult(answer.get("id", sent_id), True)
    fields = answer.get("fields")
    return RecordResult(
        answer.get("id", sent_id),
        False,
        str(answer.get("error") or f"HTTP_{answer.get('code', 400)}"),
        answer.get("message"),
        list(fields) if isinstance(fields, list) else [],
    )
