"""The REST layer's own request/response and router, independent of Starlette, so Composite
can run its subrequests through exactly the same handlers as real requests."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json;charset=UTF-8"


@dataclass
class ApiRequest:
    method: str
    path: str  # after /services/data/vXX.X
    version: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    user_id: str = ""
    base_url: str = ""

    def json(self) -> Any:
        """The body as JSON; ApiFailure(JSON_PARSER_ERROR) if it is not."""
        if not self.body.strip():
            raise ApiFailure(400, "JSON_PARSER_ERROR", "The request body is empty")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiFailure(
                400, "JSON_PARSER_ERROR", f"Unexpected character in the request body: {exc}"
            ) from exc


@dataclass
class ApiResponse:
    status: int
    body: Any = None  # JSON-able, or str for CSV
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = JSON

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


class ApiFailure(Exception):
    """An error answer in Salesforce's shape: [{"message", "errorCode"}]."""

    def __init__(
        self, status: int, code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def response(self) -> ApiResponse:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            error["fields"] = self.fields
        return ApiResponse(self.status, [error])


def not_found() -> ApiFailure:
    return ApiFailure(404, "NOT_FOUND", "The requested resource does not exist")


Handler = Callable[..., Awaitable[ApiResponse]]


class Router:
    """Routes (method, path pattern) to handlers; kind names the counter a call bumps."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, str]] = []

    def add(self, method: str, pattern: str, handler: Handler, kind: str) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/"))
        self._routes.append((method, re.compile(f"^{regex}/?$"), handler, kind))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], str]:
        allowed = False
        for route_method, regex, handler, kind in self._routes:
            m = regex.match(path)
            if m:
                if route_method == method:
                    return handler, m.groupdict(), kind
                allowed = True
        if allowed:
            raise ApiFailure(
                405, "METHOD_NOT_ALLOWED",
                f"HTTP Method '{method}' not allowed. Allowed are GET,PATCH,POST,DELETE",
            )
        raise not_found()
