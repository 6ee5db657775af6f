""""Did anything change?" for every synced object in one Salesforce call.

SystemModstamp has whole seconds, so "after the cursor" alone misses a row stamped in the
cursor's own second after we read it. Per object, one Composite call counts the rows after
the cursor's second and the rows in it; the object changed when the first is non-zero or
the second differs from how many rows of that second the last read saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from server.clients.salesforce import soql
from server.clients.salesforce.classify import error_from_response
from server.clients.salesforce.types import CompositeRequest

if TYPE_CHECKING:
    from server.clients.salesforce import SalesforceClient

COMPOSITE_LIMIT = 25


@dataclass(frozen=True)
class Cursor:
    modstamp: datetime
    seen_at_modstamp: int


def _count(sobject: str, where: str | None, ref: str) -> CompositeRequest:
    text = f"SELECT COUNT() FROM {soql.name(sobject)}" + (f" WHERE {where}" if where else "")
    return CompositeRequest("GET", f"queryAll?q={quote_plus(text)}", ref)


async def changed(
    sf: SalesforceClient, cursors: dict[str, Cursor | None]
) -> dict[str, bool]:
    requests: list[CompositeRequest] = []
    for n, (sobject, cursor) in enumerate(cursors.items()):
        if cursor is None:
            requests.append(_count(sobject, None, f"all_{n}"))
        else:
            stamp = soql.datetime_literal(cursor.modstamp)
            requests.append(_count(sobject, f"SystemModstamp > {stamp}", f"after_{n}"))
            requests.append(_count(sobject, f"SystemModstamp = {stamp}", f"at_{n}"))
    counts: dict[str, int] = {}
    for start in range(0, len(requests), COMPOSITE_LIMIT):
        chunk = requests[start : start + COMPOSITE_LIMIT]
        for request, answer in zip(chunk, await sf.composite(chunk), strict=True):
            if not answer.ok:
                raise error_from_response(answer.status, answer.body)
            counts[request.reference_id] = int(answer.body["totalSize"])
    result: dict[str, bool] = {}
    for n, (sobject, cursor) in enumerate(cursors.items()):
        if cursor is None:
            result[sobject] = counts[f"all_{n}"] > 0
        else:
            result[sobject] = (
                counts[f"after_{n}"] > 0 or counts[f"at_{n}"] != cursor.seen_at_modstamp
            )
    return result
