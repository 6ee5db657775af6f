"""Composite (/composite): up to 25 subrequests in one API call, later ones able to use
earlier answers through @{referenceId.path} references."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandboxes.salesforce.api import ApiFailure, ApiRequest, ApiResponse
from sandboxes.salesforce.state import SandboxState

Dispatch = Callable[[SandboxState, ApiRequest], Awaitable[ApiResponse]]

MAX_SUBREQUESTS = 25
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]{1,80}$")
_URL = re.compile(r"^/services/data/v(\d+\.\d)(/[^?]*)?(?:\?(.*))?$")
_HALTED = "The transaction was rolled back since another operation in the same transaction failed."


class _Unresolved(Exception):
    pass


async def composite(state: SandboxState, req: ApiRequest) -> ApiResponse:
    from sandboxes.salesforce.routes import dispatch  # the router holds this handler

    body = req.json()
    subs = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subs, list) or not subs:
        raise ApiFailure(400, "INVALID_API_INPUT", "compositeRequest must hold 1 to 25 items")
    if len(subs) > MAX_SUBREQUESTS:
        raise ApiFailure(
            400, "INVALID_API_INPUT",
            f"Limit Exceeded: the composite request holds {len(subs)} subrequests, "
            f"at most {MAX_SUBREQUESTS} are allowed",
        )
    all_or_none = bool(body.get("allOrNone", False))
    seen: set[str] = set()
    for sub in subs:
        if not isinstance(sub, dict) or not all(
            isinstance(sub.get(k), str) for k in ("method", "url", "referenceId")
        ):
            raise ApiFailure(
                400, "INVALID_API_INPUT",
                "Each subrequest needs method, url and referenceId strings",
            )
        ref = sub["referenceId"]
        if not _REFERENCE_ID.match(ref) or ref in seen:
            raise ApiFailure(400, "INVALID_API_INPUT", f"Invalid or duplicate referenceId: {ref}")
        seen.add(ref)

    answers: list[dict[str, Any]] = []
    bodies: dict[str, Any] = {}
    with state.store.transaction() as txn:
        for sub in subs:
            ref = sub["referenceId"]
            if all_or_none and any(a["httpStatusCode"] >= 400 for a in answers):
                answers.append(_answer(ref, 400, [{"errorCode": "PROCESSING_HALTED",
                                                   "message": _HALTED}]))
                continue
            try:
                url = _substitute(sub["url"], bodies)
                payload = _substitute(sub.get("body"), bodies)
            except _Unresolved as exc:
                answers.append(_answer(ref, 400, [{
                    "errorCode": "PROCESSING_HALTED",
                    "message": f"Invalid reference specified. No value for {exc} found. "
                    "Provided referenceId doesn't exist or its answer lacks that value.",
                }]))
                continue
            response = await _run_one(state, req, sub["method"].upper(), url, payload, dispatch)
            bodies[ref] = response.body
            answers.append(_answer(ref, response.status, response.body, response.headers))
        if all_or_none and any(a["httpStatusCode"] >= 400 for a in answers):
            txn.rollback()
            for answer in answers:
                if answer["httpStatusCode"] < 400:
                    answer.update(body=[{"errorCode": "PROCESSING_HALTED", "message": _HALTED}],
                                  httpHeaders={}, httpStatusCode=400)
    return ApiResponse(200, {"compositeResponse": answers})


async def _run_one(state: SandboxState, req: ApiRequest, method: str, url: str, payload: Any,
                   dispatch: Dispatch) -> ApiResponse:
    m = _URL.match(url)
    if not m:
        return ApiFailure(400, "INVALID_API_INPUT", f"Invalid url for a subrequest: {url}"
                          ).response()
    version, path, query = m.group(1), (m.group(2) or "").rstrip("/"), m.group(3) or ""
    if path == "/composite" or path.startswith("/jobs"):
        return ApiFailure(400, "INVALID_API_INPUT",
                          f"{path} is not supported in a composite request").response()
    sub = ApiRequest(
        method=method,
        path=path,
        version=version,
        query=dict(parse_qsl(urlsplit("?" + query).query)),
        headers=dict(req.headers),
        body=json.dumps(payload).encode() if payload is not None else b"",
        user_id=req.user_id,
        base_url=req.base_url,
    )
    return await dispatch(state, sub)


def _answer(ref: str, status: int, body: Any, headers: dict[str, str] | None = None
            ) -> dict[str, Any]:
    return {"body": body, "httpHeaders": dict(headers or {}), "httpStatusCode": status,
            "referenceId": ref}


def _substitute(value: Any, bodies: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return _resolve(whole, bodies)
        return _REFERENCE.sub(lambda m: str(_resolve(m, bodies)), value)
    if isinstance(value, list):
        return [_substitute(v, bodies) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, bodies) for k, v in value.items()}
    return value


def _resolve(match: re.Match[str], bodies: dict[str, Any]) -> Any:
    ref, path = match.group(1), match.group(2)
    if ref not in bodies:
        raise _Unresolved(match.group(0))
    value = bodies[ref]
    for name, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        try:
            value = value[name] if name else value[int(index)]
        except (KeyError, IndexError, TypeError):
            raise _Unresolved(match.group(0)) from None
    if value is None:
        raise _Unresolved(match.group(0))
    return value
