"""Reading requests and writing answers the way ForceManager does, shared by the API and
the admin surface."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandboxes.forcemanager.errors import SandboxError, bad_request

BASE_PATH = "/api/v4"


def error_response(exc: SandboxError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise bad_request("INVALID_JSON", "the request needs a JSON body")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("INVALID_JSON", f"the body is not valid JSON: {exc}") from None


def int_param(value: str | None, name: str, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_request(
            "INVALID_PARAMETER", f"{name} must be an integer, got {value!r}"
        ) from None
    if number < minimum:
        raise bad_request("INVALID_PARAMETER", f"{name} must be >= {minimum}, got {number}")
    return number


def id_param(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request("INVALID_PARAMETER", f"the id must be an integer, got {text!r}") from None


def resource_of(request: Request) -> str:
    return request.url.path[len(BASE_PATH):].split("/")[1]
