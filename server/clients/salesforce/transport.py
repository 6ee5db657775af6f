"""The `requests` session every Salesforce call goes through.

simple-salesforce passes no timeout to `requests`, so an adapter supplies one to every
request: no call can hang. The same session verifies TLS against the configured CA bundle
and reports each response to a tracker (API call count and `Sforce-Limit-Info`), whichever
simple-salesforce object made the call.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from server.clients.salesforce.types import ApiUsage

_API_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")


class TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeout: float, ca_bundle: str | None = None) -> None:
        # Retries are the client's business (with backoff and error classification).
        super().__init__(max_retries=0)
        self.timeout = timeout
        self.ca_bundle = ca_bundle

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.ca_bundle:
            # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment override
            # session.verify; the configured bundle must win.
            kwargs["verify"] = self.ca_bundle
        return super().send(request, **kwargs)


def parse_api_usage(header: str | None) -> ApiUsage | None:
    if not header:
        return None
    match = _API_USAGE.search(header)
    if match is None:
        return None
    return ApiUsage(used=int(match.group(1)), limit=int(match.group(2)))


class UsageTracker:
    """Counts REST API calls and keeps the last reported API usage. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.api_usage: ApiUsage | None = None

    def on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # Logins and token calls are not API calls in Salesforce's accounting.
        if "/services/oauth2/" in response.url or "/services/Soap/u/" in response.url:
            return
        usage = parse_api_usage(response.headers.get("Sforce-Limit-Info"))
        with self._lock:
            self.calls += 1
            if usage is not None:
                self.api_usage = usage


def make_http_session(
    *, timeout: float, ca_bundle: str | None = None, tracker: UsageTracker | None = None
) -> requests.Session:
    session = requests.Session()
    adapter = TimeoutAdapter(timeout, ca_bundle)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if ca_bundle:
        session.verify = ca_bundle
    if tracker is not None:
        session.hooks["response"].append(tracker.on_response)
    return session
