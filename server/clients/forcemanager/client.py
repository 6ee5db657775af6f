"""ForceManager API v4 client (async, httpx). Knows nothing of the database.

Every call: paced to the credential's rate limit, sent with the session key (logging in first,
and once more on a 401), retried on 429/5xx/connection trouble with backoff and jitter, and
turned into the shared error classes when it cannot succeed. See docs/forcemanager.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx

from server.clients.errors import (
    ApiError,
    AuthError,
    PermanentError,
    QuotaExceeded,
    RecordResult,
    TransientError,
)
from server.clients.forcemanager.pacing import Pacer
from server.clients.forcemanager.responses import (
    Page,
    describe,
    error_of,
    page_size_served,
    read_json,
    record_result,
    retry_after,
    server_time,
)

SESSION_HEADER = "X-Session-Key"
QUOTA_CODE = "API_LIMIT_EXCEEDED"
BULK_SIZE = 200
PAGE_SIZE = 500

# Failing to connect means the server never saw the request: always safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# These may come after the server acted: only retried for idempotent methods.
_MAYBE_SENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class ForceManagerClient:
    def __init__(
        self,
        base_url: str,
        public_key: str,
        private_key: str,
        *,
        rate_limit: float | None = 13.0,
        timeout: float = 30.0,
        max_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        page_size: int = PAGE_SIZE,
        bulk_size: int = BULK_SIZE,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
    ) -> None:
        if not 1 <= bulk_size <= BULK_SIZE:
            raise ValueError(f"bulk_size must be within 1..{BULK_SIZE}")
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )
        self._keys = (public_key, private_key)
        self._pacer = Pacer(rate_limit)
        self._token: str | None = None
        self._login_lock = asyncio.Lock()
        self.max_retries = max_retries
        self.page_size = page_size
        self.bulk_size = bulk_size
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.calls = 0  # HTTP requests sent, logins and retries included

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ForceManagerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:  # never show the keys or the session
        return f"<ForceManagerClient {self._http.base_url}>"

    # -- reads ---------------------------------------------------------------------------------

    async def list(
        self,
        resource: str,
        *,
        where: str | None = None,
        order: str | None = None,
        include_deleted: bool = False,
    ) -> AsyncIterator[Page]:
        """Pages of records from page 0 on. Soft-deleted rows come back only with
        include_deleted (the API returns them unless the filter excludes them).

        The read stops at the first page shorter than the page size the server says it used
        (its `count` header), or, when it does not say, at the first empty page. Each page
        carries the server's clock when it answered (`Page.server_time`, from `Date`)."""
        if not include_deleted:
            where = f"({where}) AND deleted = false" if where else "deleted = false"
        page = 0
        while True:
            params: dict[str, Any] = {"page": page}
            if where:
                params["where"] = where
            if order:
                params["order"] = order
            response = await self._call(
                "GET", f"/{resource}", params=params, headers={"count": str(self.page_size)}
            )
            rows = read_json(response)
            if not isinstance(rows, list):
                raise PermanentError(
                    "UNEXPECTED_RESPONSE", f"GET /{resource} did not answer a list", 200
                )
            if not rows:
                return
            yield Page(rows, server_time(response))
            served = page_size_served(response)
            if served is not None and len(rows) < served:
                return
            page += 1

    def list_records(
        self,
        resource: str,
        *,
        where: str | None = None,
        order: str | None = None,
        include_deleted: bool = False,
    ) -> AsyncIterator[Page]:
        """The same as list(), for code where a method named `list` shadows the builtin."""
        return self.list(resource, where=where, order=order, include_deleted=include_deleted)

    async def get(self, resource: str, id: int) -> dict[str, Any]:
        return read_json(await self._call("GET", f"/{resource}/{int(id)}"))

    async def users(self) -> list[dict[str, Any]]:
        """All users, active or not (isActive says which); deleted users are left out."""
        return [row async for page in self.list("users") for row in page]

    async def value_list(self, name: str) -> list[dict[str, Any]]:
        """A value list: "branches", "countries", "accountTypes", "activityTypes", …"""
        return read_json(await self._call("GET", f"/{name}", params={"getFullList": "true"}))

    async def extra_fields(self, resource: str) -> list[dict[str, Any]]:
        return read_json(await self._call("GET", f"/extrafields/{resource}"))

    async def schema(self, resource: str) -> dict[str, Any]:
        return read_json(await self._call("GET", f"/{resource}/schema"))

    # -- writes, one at a time -------------------------------------------------------------------

    async def create(self, resource: str, data: dict[str, Any]) -> int:
        answer = read_json(await self._call("POST", f"/{resource}", json=data))
        new_id = answer.get("id") if isinstance(answer, dict) else None
        if isinstance(new_id, bool) or not isinstance(new_id, int):
            raise PermanentError(
                "UNEXPECTED_RESPONSE", f"POST /{resource} answered without an id", 200
            )
        return new_id

    async def update(self, resource: str, id: int, data: dict[str, Any]) -> None:
        await self._call("PUT", f"/{resource}/{int(id)}", json=data)

    async def delete(self, resource: str, id: int) -> None:
        await self._call("DELETE", f"/{resource}/{int(id)}")

    async def create_extra_field(
        self,
        resource: str,
        field_name: str,
        type: str,
        label: str | None = None,
        values: list[str] | None = None,
    ) -> dict[str, Any]:
        """Create a Z_ field; returns {id, fieldName, type, label, values}."""
        body: dict[str, Any] = {"fieldName": field_name, "type": type}
        if label is not None:
            body["label"] = label
        if values is not None:
            body["values"] = list(values)
        answer = read_json(await self._call("POST", f"/extrafields/{resource}", json=body))
        return {"id": answer.get("id"), "fieldName": field_name, "type": type, "label": label,
                "values": values}

    # -- writes in bulk --------------------------------------------------------------------------

    async def bulk_create(
        self, resource: str, records: list[dict[str, Any]]
    ) -> list[RecordResult]:
        """One result per record, in input order; a success's id is the new record's id."""
        items = [{"guid": str(n), "data": record} for n, record in enumerate(records)]
        return await self._bulk("POST", resource, items)

    async def bulk_update(
        self, resource: str, records: list[dict[str, Any]]
    ) -> list[RecordResult]:
        """Partial updates; each record carries its "id". Results in input order."""
        items: list[dict[str, Any] | RecordResult] = []
        for n, record in enumerate(records):
            record_id = record.get("id")
            if isinstance(record_id, bool) or not isinstance(record_id, int):
                items.append(RecordResult(None, False, "MISSING_ID",
                                          "a record to update needs an integer id", ["id"]))
                continue
            data = {k: v for k, v in record.items() if k != "id"}
            items.append({"guid": str(n), "id": record_id, "data": data})
        return await self._bulk("PUT", resource, items)

    async def bulk_delete(self, resource: str, ids: list[int]) -> list[RecordResult]:
        items: list[dict[str, Any] | RecordResult] = []
        for n, record_id in enumerate(ids):
            if isinstance(record_id, bool) or not isinstance(record_id, int):
                items.append(RecordResult(None, False, "MISSING_ID",
                                          f"{record_id!r} is not an integer id", ["id"]))
            else:
                items.append({"guid": str(n), "id": record_id})
        return await self._bulk("DELETE", resource, items)

    async def _bulk(
        self, method: str, resource: str, items: list[Any]
    ) -> list[RecordResult]:
        # Every item sent gets its result below; only the refused ones have one already.
        results: list[Any] = [item if isinstance(item, RecordResult) else None for item in items]
        to_send = [(n, item) for n, item in enumerate(items) if isinstance(item, dict)]
        for start in range(0, len(to_send), self.bulk_size):
            chunk = to_send[start:start + self.bulk_size]
            response = await self._call(
                method, f"/{resource}/bulk", json=[item for _, item in chunk]
            )
            answers = read_json(response)
            by_guid = {str(a.get("guid")): a for a in answers if isinstance(a, dict)}
            for n, item in chunk:
                answer = by_guid.get(item["guid"])
                results[n] = record_result(answer, item.get("id"))
        return results

    # -- transport ------------------------------------------------------------------------

    @property
    def session_key(self) -> str | None:
        """The session key in use (None before the first call). Secret: keep it encrypted."""
        return self._token

    @session_key.setter
    def session_key(self, value: str | None) -> None:
        """Start from a session key an earlier client got (a 401 logs in again anyway)."""
        self._token = value

    @property
    def fingerprint(self) -> str:
        """Names these API keys without revealing them: a session key belongs to them."""
        return hashlib.sha256("\0".join(self._keys).encode()).hexdigest()[:32]

    async def login(self) -> None:
        """Log in now (calls log in by themselves when they need to)."""
        await self._session(stale=self._token)

    async def _session(self, stale: str | None) -> str:
        """The current session key; logs in if there is none or it is the one that failed."""
        async with self._login_lock:
            if self._token is None or self._token == stale:
                public_key, private_key = self._keys
                response = await self._send(
                    "POST", "/login", json={"username": public_key, "password": private_key},
                    token=None,
                )
                token = read_json(response).get("token") if response.content else None
                if not isinstance(token, str) or not token:
                    raise AuthError("INVALID_LOGIN_RESPONSE", "the login answer had no token")
                self._token = token
            return self._token

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self._token or await self._session(stale=None)
        try:
            return await self._send(method, path, token=token, **kwargs)
        except AuthError as exc:
            if exc.status != 401:
                raise
        # The session expired: one new login, one more try.
        token = await self._session(stale=token)
        return await self._send(method, path, token=token, **kwargs)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One logical request with retries; raises the shared error classes."""
        send_headers = dict(headers or {})
        if token is not None:
            send_headers[SESSION_HEADER] = token
        idempotent = method != "POST"
        attempt = 0
        while True:
            await self._pacer.wait()
            self.calls += 1
            problem: ApiError
            hint: float | None = None
            try:
                response = await self._http.request(
                    method, path, params=params, json=json, headers=send_headers
                )
            except _NOT_SENT as exc:
                problem = TransientError("CONNECTION_ERROR", describe(exc))
            except _MAYBE_SENT as exc:
                problem = TransientError(
                    "TIMEOUT" if isinstance(exc, httpx.TimeoutException) else "CONNECTION_ERROR",
                    describe(exc),
                )
                if not idempotent:
                    raise problem from exc
            else:
                status = response.status_code
                if status < 400:
                    return response
                code, message = error_of(response)
                if code == QUOTA_CODE:
                    raise QuotaExceeded(code, message, status)
                if status in (401, 403):
                    raise AuthError(code, message, status)
                if status != 429 and status < 500:
                    raise PermanentError(code, message, status)
                problem = TransientError(code, message, status)
                hint = retry_after(response)
            attempt += 1
            if attempt > self.max_retries:
                raise problem
            await asyncio.sleep(self._delay(attempt, hint))

    def _delay(self, attempt: int, hint: float | None) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        return max(delay, min(hint or 0.0, self.max_backoff))
