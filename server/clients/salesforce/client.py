"""The Salesforce client: what the integration asks of Salesforce (describes, reads, change
reads, writes), each call made through a Connection (connection.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from simple_salesforce import Salesforce

from server.clients.errors import (
    PermanentError,
    RecordResult,
)
from server.clients.salesforce import soql as sq
from server.clients.salesforce.bulk import bulk_pages
from server.clients.salesforce.classify import (
    backoff_delay,
    error_from_response,
)
from server.clients.salesforce.connection import Connection
from server.clients.salesforce.describe import parse_describe, parse_summary
from server.clients.salesforce.records import (
    chunks,
    coerce_csv_row,
    record_result,
    strip_attributes,
)
from server.clients.salesforce.types import (
    ApiUsage,
    CompositeRequest,
    CompositeResponse,
    DeletedResult,
    OAuthApp,
    Page,
    SalesforceSession,
    SObjectDescribe,
    SObjectSummary,
    UpdatedResult,
)

COMPOSITE_LIMIT = 25  # subrequests in one Composite call
USER_FIELDS = ("Id", "Name", "FirstName", "LastName", "Email", "IsActive")
MIN_BATCH, MAX_BATCH = 200, 2000  # what Sforce-Query-Options: batchSize accepts


class SalesforceClient:
    def __init__(
        self,
        session: SalesforceSession,
        app: OAuthApp,
        *,
        api_version: str = "59.0",
        timeout: float = 30.0,
        max_retries: int = 4,
        on_session_refreshed: Callable[[SalesforceSession], Awaitable[None]] | None = None,
        # (username, password, security token[, domain]) for the password flow's re-login
        password_login: tuple[str, ...] | None = None,
        bulk_threshold: int = 2000,
        backoff_base: float = 0.5,
        bulk_poll_interval: float = 2.0,
        bulk_timeout: float = 3600.0,
    ) -> None:
        self.api_version = api_version
        self.max_retries = max_retries
        self.bulk_threshold = bulk_threshold
        self.backoff_base = backoff_base
        self.bulk_poll_interval = bulk_poll_interval
        self.bulk_timeout = bulk_timeout
        self._connection = Connection(
            session,
            app,
            api_version=api_version,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            on_session_refreshed=on_session_refreshed,
            password_login=password_login,
        )
        self._call = self._connection.call

    def __repr__(self) -> str:
        return f"SalesforceClient(instance_url={self.session.instance_url!r})"

    @property
    def calls(self) -> int:
        """REST API calls made by this client (logins and token calls excluded)."""
        return self._connection.calls

    @property
    def api_usage(self) -> ApiUsage | None:
        """The org's API usage as of the last answer (`Sforce-Limit-Info`)."""
        return self._connection.api_usage

    @property
    def session(self) -> SalesforceSession:
        """The current session (it changes when the client renews it)."""
        return self._connection.session

    async def aclose(self) -> None:
        self._connection.close()

    async def __aenter__(self) -> SalesforceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- reads ---------------------------------------------------------------------------

    async def describe_global(self) -> list[SObjectSummary]:
        answer = await self._call(lambda sf: sf.describe())
        return [parse_summary(item) for item in (answer or {}).get("sobjects", [])]

    async def describe(self, sobject: str) -> SObjectDescribe:
        path = f"sobjects/{sq.name(sobject)}/describe"
        return parse_describe(await self._call(lambda sf: sf.restful(path)))

    async def query(
        self, soql: str, *, include_deleted: bool = False, batch_size: int = MAX_BATCH
    ) -> AsyncIterator[Page]:
        """Pages of records, following `nextRecordsUrl`. Only the current page is held."""
        if not MIN_BATCH <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between {MIN_BATCH} and {MAX_BATCH}")
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        answer = await self._call(
            lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers)
        )
        while True:
            page = Page([strip_attributes(r) for r in answer["records"]], answer.get("totalSize"))
            next_url = None if answer.get("done", True) else answer.get("nextRecordsUrl")
            del answer
            yield page
            del page
            if not next_url:
                return
            answer = await self._call(
                lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True, headers=headers)
            )

    async def query_changes(
        self,
        sobject: str,
        fields: list[str],
        since: tuple[datetime, str] | None,
        *,
        include_deleted: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> AsyncIterator[Page]:
        """Records changed strictly after the `(SystemModstamp, Id)` cursor, in that order.

        Each page is its own query (keyset pagination with LIMIT `batch_size` + 1: the one
        row more says whether another page follows, so a read whose size is a multiple of
        the page size ends without a last, empty query), so a huge backlog is read in
        bounded pages and a run that stops half-way resumes from the last record it kept.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        cursor = since
        transfer = min(max(batch_size, MIN_BATCH), MAX_BATCH)
        while True:
            text = sq.changes_query(sobject, fields, cursor, batch_size + 1)
            taken = 0
            total: int | None = None
            last: dict[str, Any] | None = None
            pages = self.query(text, include_deleted=include_deleted, batch_size=transfer)
            try:
                async for page in pages:
                    if total is None:
                        total = page.total_size
                    del page[batch_size - taken :]  # the look-ahead row is read again next
                    taken += len(page)
                    if page:
                        last = page[-1]
                        page.total_size = None  # one keyset page's size says nothing of the rest
                        yield page
                    del page
                    if taken >= batch_size:
                        break  # the look-ahead row's transfer page is not fetched
            finally:
                await pages.aclose()
            more = total > batch_size if total is not None else taken >= batch_size
            if not more or last is None:
                return
            cursor = (sq.parse_datetime(last["SystemModstamp"]), last["Id"])

    async def count(
        self, sobject: str, where: str | None = None, *, include_deleted: bool = False
    ) -> int:
        text = f"SELECT COUNT() FROM {sq.name(sobject)}" + (f" WHERE {where}" if where else "")
        answer = await self._call(lambda sf: sf.query(text, include_deleted=include_deleted))
        return int(answer["totalSize"])

    async def bulk_query(
        self, soql: str, *, include_deleted: bool = False, page_size: int = 50_000
    ) -> AsyncIterator[Page]:
        """A Bulk API 2.0 query job: create, wait, then read the CSV results page by page.

        Values come as Salesforce writes them in CSV: strings, None for empty cells.
        """
        async for page in bulk_pages(
            self._call,
            soql,
            include_deleted=include_deleted,
            page_size=page_size,
            poll_interval=self.bulk_poll_interval,
            job_timeout=self.bulk_timeout,
        ):
            yield page
            del page

    async def read_all(
        self,
        sobject: str,
        fields: list[str],
        *,
        where: str | None = None,
        include_deleted: bool = False,
    ) -> AsyncIterator[Page]:
        """Every matching record: REST query pages, or Bulk 2.0 from `bulk_threshold` rows.

        Bulk values are given the REST API's JSON types (from a describe), so callers see
        the same records whichever API served them.
        """
        text = sq.select(sobject, fields, where)
        total = await self.count(sobject, where, include_deleted=include_deleted)
        if total < self.bulk_threshold:
            async for page in self.query(text, include_deleted=include_deleted):
                yield page
            return
        described = {f.name: f for f in (await self.describe(sobject)).fields}
        async for page in self.bulk_query(text, include_deleted=include_deleted):
            for row in page:
                coerce_csv_row(row, described)
            yield page

    async def updated(self, sobject: str, start: datetime, end: datetime) -> UpdatedResult:
        """Ids changed in [start, end] (Salesforce keeps 30 days); `latest_date_covered` is
        the next start."""
        sq.require_aware(start, "start")
        sq.require_aware(end, "end")
        name = sq.name(sobject)
        answer = await self._call(lambda sf: getattr(sf, name).updated(start, end))
        return UpdatedResult(
            ids=list(answer.get("ids", [])),
            latest_date_covered=sq.parse_datetime(answer["latestDateCovered"]),
        )

    async def deleted(self, sobject: str, start: datetime, end: datetime) -> DeletedResult:
        """Records deleted in [start, end] (Salesforce keeps 15 days; before
        `earliest_date_available` only a full reconciliation finds deletions)."""
        sq.require_aware(start, "start")
        sq.require_aware(end, "end")
        name = sq.name(sobject)
        answer = await self._call(lambda sf: getattr(sf, name).deleted(start, end))
        earliest = answer.get("earliestDateAvailable")
        return DeletedResult(
            records=[
                (item["id"], sq.parse_datetime(item["deletedDate"]))
                for item in answer.get("deletedRecords", [])
            ],
            earliest_date_available=sq.parse_datetime(earliest) if earliest else None,
            latest_date_covered=sq.parse_datetime(answer["latestDateCovered"]),
        )

    async def active_users(self) -> list[dict[str, Any]]:
        text = sq.select("User", USER_FIELDS, "IsActive = true") + " ORDER BY Id"
        return [user async for page in self.query(text) for user in page]

    async def composite(self, requests: list[CompositeRequest]) -> list[CompositeResponse]:
        """Up to 25 independent subrequests in one API call; answers in request order."""
        if not requests:
            return []
        return await self._composite(requests, check=False)

    async def count_changes(
        self, sobjects: list[str], since: dict[str, datetime]
    ) -> dict[str, int]:
        """How many records of each object changed (deletions included) strictly after
        `since[object]` (all of them when absent): one Composite call per 25 objects."""
        counts: dict[str, int] = {}
        for group in chunks(list(dict.fromkeys(sobjects)), COMPOSITE_LIMIT):
            requests = []
            for sobject in group:
                text = f"SELECT COUNT() FROM {sq.name(sobject)}"
                if sobject in since:
                    text += f" WHERE SystemModstamp > {sq.datetime_literal(since[sobject])}"
                requests.append(
                    CompositeRequest("GET", f"queryAll?q={quote_plus(text)}", f"count_{sobject}")
                )
            answers = await self._composite(requests, check=True)
            for sobject, answer in zip(group, answers, strict=True):
                counts[sobject] = int(answer.body["totalSize"])
        return counts

    async def _composite(
        self, requests: list[CompositeRequest], *, check: bool
    ) -> list[CompositeResponse]:
        """One Composite call. With `check`, a failed subrequest fails the call (classified,
        so a passing failure in any subrequest is retried like a failed call)."""
        if len(requests) > COMPOSITE_LIMIT:
            raise ValueError(f"a Composite call takes at most {COMPOSITE_LIMIT} subrequests")
        body = {
            "allOrNone": False,
            "compositeRequest": [self._subrequest(r) for r in requests],
        }

        def call(sf: Salesforce) -> list[CompositeResponse]:
            answer = sf.restful("composite", method="POST", json=body)
            answers = [
                CompositeResponse(
                    reference_id=item.get("referenceId"),
                    status=int(item.get("httpStatusCode", 0)),
                    body=item.get("body"),
                    headers=dict(item.get("httpHeaders") or {}),
                )
                for item in answer["compositeResponse"]
            ]
            for item in answers if check else ():
                if not item.ok:
                    raise error_from_response(item.status, item.body)
            return answers

        return await self._call(call, idempotent=all(r.method.upper() == "GET" for r in requests))

    # -- writes --------------------------------------------------------------------------

    async def create(self, sobject: str, records: list[dict[str, Any]]) -> list[RecordResult]:
        type_ = sq.name(sobject)
        _check_records(records)
        payload = [{"attributes": {"type": type_}, **r} for r in records]
        return await self._collection("POST", payload, [None] * len(records))

    async def update(self, sobject: str, records: list[dict[str, Any]]) -> list[RecordResult]:
        type_ = sq.name(sobject)
        _check_records(records)
        for record in records:
            sq.record_id(record.get("Id"))
        payload = [{"attributes": {"type": type_}, **r} for r in records]
        return await self._collection("PATCH", payload, [r["Id"] for r in records])

    async def delete(self, ids: list[str]) -> list[RecordResult]:
        for id_ in ids:
            sq.record_id(id_)
        return await self._collection("DELETE", list(ids), list(ids))

    async def _collection(
        self, method: str, items: list[Any], ids: list[str | None]
    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        for chunk, chunk_ids in zip(chunks(items), chunks(ids), strict=True):
            results += await self._collection_chunk(method, chunk, chunk_ids)
        return results

    async def _collection_chunk(
        self, method: str, items: list[Any], ids: list[str | None]
    ) -> list[RecordResult]:
        """One sObject Collections request; records that failed for a passing reason (a
        locked row) are sent again, alone, with backoff."""
        results: list[RecordResult | None] = [None] * len(items)
        pending = list(range(len(items)))
        attempt = 0
        while True:
            batch = [items[i] for i in pending]
            answers = await self._call(
                lambda sf, b=batch: _send_collection(sf, method, b),
                # A create that may have reached Salesforce must not be sent twice.
                idempotent=method != "POST",
            )
            retry = []
            for index, answer in zip(pending, answers, strict=True):
                results[index] = record_result(answer, ids[index])
                if results[index].transient:
                    retry.append(index)
            if not retry or attempt >= self.max_retries:
                return results  # type: ignore[return-value]
            await asyncio.sleep(backoff_delay(attempt, self.backoff_base))
            attempt += 1
            pending = retry

    # -- machinery -----------------------------------------------------------------------

    def _subrequest(self, request: CompositeRequest) -> dict[str, Any]:
        url = request.url
        if not url.startswith("/services/"):
            url = f"/services/data/v{self.api_version}/{url.lstrip('/')}"
        sub: dict[str, Any] = {
            "method": request.method.upper(),
            "url": url,
            "referenceId": request.reference_id,
        }
        if request.body is not None:
            sub["body"] = request.body
        return sub


def _send_collection(sf: Salesforce, method: str, items: list[Any]) -> list[dict[str, Any]]:
    if method == "DELETE":
        params = {"ids": ",".join(items), "allOrNone": "false"}
        answer = sf.restful("composite/sobjects", params=params, method="DELETE")
    else:
        body = {"allOrNone": False, "records": items}
        answer = sf.restful("composite/sobjects", method=method, json=body)
    if not isinstance(answer, list) or len(answer) != len(items):
        raise PermanentError(
            "BAD_RESPONSE",
            f"sObject Collections answered {len(answer or [])} results for {len(items)} records",
        )
    return answer


def _check_records(records: list[dict[str, Any]]) -> None:
    for record in records:
        if not isinstance(record, dict):
            raise ValueError(f"a record must be a dict of field values, got {type(record)}")
        if "attributes" in record:
            raise ValueError("records must not carry 'attributes': the client sets the type")
