"""Turn what Salesforce (through simple-salesforce and requests) raises into the shared error
classes, and decide what is worth another try."""

from __future__ import annotations

import json
import random
from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError, SalesforceOperationError

from server.clients.errors import (
    TRANSIENT_RECORD_CODES,
    ApiError,
    AuthError,
    PermanentError,
    QuotaExceeded,
    TransientError,
)

QUOTA_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED"})
TRANSIENT_CODES = TRANSIENT_RECORD_CODES | {"SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}
EXPIRED_SESSION_CODES = frozenset({"INVALID_SESSION_ID"})


def first_error(body: Any) -> tuple[str | None, str | None]:
    """(errorCode, message) of a REST error body: `[{message, errorCode, fields}]`."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            text = body.decode(errors="replace") if isinstance(body, bytes) else body
            return None, text.strip()[:500] or None
    if isinstance(body, dict):
        body = [body]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        error = body[0]
        code = error.get("errorCode") or error.get("statusCode") or error.get("error")
        message = error.get("message") or error.get("error_description")
        return code, message
    return None, None


def error_from_response(status: int, body: Any) -> ApiError:
    """The error class for an HTTP error answer of the REST API."""
    code, message = first_error(body)
    code = code or f"HTTP_{status}"
    message = message or f"Salesforce answered HTTP {status}"
    if code in QUOTA_CODES:
        return QuotaExceeded(code, message, status)
    if code in TRANSIENT_CODES or status >= 500 or status == 429:
        return TransientError(code, message, status)
    if status == 401 or code in EXPIRED_SESSION_CODES:
        return AuthError(code, message, status)
    return PermanentError(code, message, status)


def classify(exc: BaseException) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, SalesforceError):
        return error_from_response(exc.status, exc.content)
    if isinstance(exc, requests.Timeout):
        return TransientError("TIMEOUT", f"Salesforce did not answer in time ({exc})")
    if isinstance(exc, requests.ConnectionError):
        return TransientError("CONNECTION_ERROR", f"could not reach Salesforce ({exc})")
    if isinstance(exc, SalesforceOperationError):
        return PermanentError("BULK_JOB_FAILED", str(exc))
    if isinstance(exc, requests.JSONDecodeError):
        # A body that is not the JSON it should be: a proxy page, a cut-off answer.
        return TransientError("BAD_RESPONSE", f"Salesforce sent an unreadable answer ({exc})")
    if isinstance(exc, requests.RequestException):
        return TransientError("REQUEST_FAILED", str(exc))
    raise exc


def is_expired_session(exc: BaseException) -> bool:
    if not isinstance(exc, SalesforceError) or exc.status != 401:
        return False
    code, _ = first_error(exc.content)
    return code in EXPIRED_SESSION_CODES or code is None


def not_applied(exc: BaseException) -> bool:
    """Whether a failed request surely changed nothing: Salesforce answered with an error,
    or no connection was ever made. A read timeout or a dropped connection leaves it open."""
    return isinstance(exc, (SalesforceError, requests.ConnectTimeout)) or (
        isinstance(exc, ApiError) and exc.status is not None
    )


def backoff_delay(attempt: int, base: float, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: spreads out clients that failed together."""
    return random.uniform(0, min(cap, base * 2**attempt))
