"""Getting one call through to Salesforce: a thread off the event loop, retries of passing
failures, renewal of an expired session, and the count of calls and API usage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from simple_salesforce import Salesforce

from server.clients.errors import AuthError, TransientError
from server.clients.salesforce.auth import login_url_for, refresh_session, soap_login
from server.clients.salesforce.classify import (
    backoff_delay,
    classify,
    is_expired_session,
    not_applied,
)
from server.clients.salesforce.retry import run_blocking
from server.clients.salesforce.transport import UsageTracker, make_http_session
from server.clients.salesforce.types import ApiUsage, OAuthApp, Record, SalesforceSession

log = logging.getLogger(__name__)

T = TypeVar("T")


class Connection:
    def __init__(
        self,
        session: SalesforceSession,
        app: OAuthApp,
        *,
        api_version: str,
        timeout: float,
        max_retries: int,
        backoff_base: float,
        on_session_refreshed: Callable[[SalesforceSession], Awaitable[None]] | None = None,
        password_login: tuple[str, ...] | None = None,
    ) -> None:
        self.app = app
        self.api_version = api_version
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._on_session_refreshed = on_session_refreshed
        self._password_login = password_login
        self._tracker = UsageTracker()
        self._http = make_http_session(
            timeout=timeout, ca_bundle=app.ca_bundle, tracker=self._tracker
        )
        self._session = session
        self._sf = self._connect(session)
        self._renew_lock = asyncio.Lock()

    @property
    def calls(self) -> int:
        return self._tracker.calls

    @property
    def api_usage(self) -> ApiUsage | None:
        return self._tracker.api_usage

    @property
    def session(self) -> SalesforceSession:
        return self._session

    def close(self) -> None:
        self._http.close()

    def _connect(self, session: SalesforceSession) -> Salesforce:
        return Salesforce(
            instance_url=session.instance_url,
            session_id=session.access_token,
            session=self._http,
            version=self.api_version,
            object_pairs_hook=Record,
        )

    async def call(self, fn: Callable[[Salesforce], T], *, idempotent: bool = True) -> T:
        """Run one simple-salesforce call in a thread.

        Transient failures are retried with backoff, a bounded number of times; an expired
        session is renewed once and the call retried; everything else is raised classified.
        A call that is not `idempotent` is repeated only when it surely was not applied
        (Salesforce answered with an error, or the connection was never made).
        """
        renewed = False
        attempt = 0
        while True:
            sf = self._sf
            try:
                return await asyncio.to_thread(fn, sf)
            except Exception as exc:  # noqa: BLE001 - classify() re-raises what it does not know
                if is_expired_session(exc):
                    exc.with_traceback(None)  # see below: frames hold the response
                    if renewed:
                        raise AuthError(
                            "INVALID_SESSION_ID",
                            "Salesforce refused the session it had just renewed; "
                            "reconnect Salesforce",
                            401,
                        ) from exc
                    await self._renew(sf)
                    renewed = True
                    continue
                error = classify(exc)
                retryable = isinstance(error, TransientError) and (idempotent or not_applied(exc))
                if not retryable or attempt >= self.max_retries:
                    # The low-level traceback holds the HTTP response, and so its socket, for as
                    # long as anyone keeps the error: keep the cause, drop its frames.
                    exc.with_traceback(None)
                    if error is exc:
                        raise
                    raise error from exc
                delay = backoff_delay(attempt, self.backoff_base)
                log.warning(
                    "Salesforce call failed (%s), retry %d/%d in %.2fs",
                    error.code,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                attempt += 1
                await asyncio.sleep(delay)

    async def _renew(self, stale: Salesforce) -> None:
        """A new session, by refresh token or by logging in again. Concurrent callers that
        hit the same expired session renew it once."""
        async with self._renew_lock:
            if self._sf is not stale:
                return  # another task renewed it while this one waited
            if self._session.refresh_token:
                current = self._session
                fresh = await run_blocking(
                    lambda: refresh_session(self._http, self.app, current),
                    max_retries=self.max_retries,
                    backoff_base=self.backoff_base,
                )
            elif self._password_login:
                username, password, token, *rest = self._password_login
                login_url = login_url_for(self.app, rest[0] if rest else None)
                fresh = await run_blocking(
                    lambda: soap_login(
                        self._http,
                        login_url,
                        username,
                        password,
                        token,
                        self.api_version,
                    ),
                    max_retries=self.max_retries,
                    backoff_base=self.backoff_base,
                )
            else:
                raise AuthError(
                    "INVALID_SESSION_ID",
                    "The Salesforce session expired and this connection has no refresh token "
                    "or password to renew it; reconnect Salesforce",
                    401,
                )
            log.info("Salesforce session renewed for %s", fresh.instance_url)
            self._session = fresh
            self._sf = self._connect(fresh)
            if self._on_session_refreshed is not None:
                await self._on_session_refreshed(fresh)
