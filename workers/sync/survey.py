"""What the initial load needs to know of Salesforce before it starts, in one call: each
object's describe (for its custom fields) and its record count (for progress).

Composite takes sObject describes and queries as subrequests, so the two describes and the
counts of a usual load cost one API call instead of three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote_plus

from server.clients.salesforce import CompositeRequest, SalesforceClient, SObjectDescribe
from server.clients.salesforce import soql as sq
from server.clients.salesforce.classify import error_from_response
from server.clients.salesforce.describe import parse_describe

COMPOSITE_LIMIT = 25


@dataclass
class Survey:
    described: dict[str, SObjectDescribe] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


async def survey(sf: SalesforceClient, sobjects: list[str], *, describe: bool) -> Survey:
    """Counts of every object, and their describes when `describe`; one Composite call per
    25 subrequests."""
    requests: list[CompositeRequest] = []
    names: dict[str, str] = {}  # reference id -> object
    for n, sobject in enumerate(dict.fromkeys(sobjects)):
        if describe:
            names[f"describe_{n}"] = sobject
            requests.append(CompositeRequest(
                "GET", f"sobjects/{sq.name(sobject)}/describe", f"describe_{n}"))
        names[f"count_{n}"] = sobject
        text = f"SELECT COUNT() FROM {sq.name(sobject)}"
        requests.append(CompositeRequest("GET", f"query?q={quote_plus(text)}", f"count_{n}"))
    found = Survey()
    for start in range(0, len(requests), COMPOSITE_LIMIT):
        chunk = requests[start : start + COMPOSITE_LIMIT]
        for request, answer in zip(chunk, await sf.composite(chunk), strict=True):
            if not answer.ok:
                raise error_from_response(answer.status, answer.body)
            sobject = names[request.reference_id]
            if request.reference_id.startswith("describe_"):
                found.described[sobject] = parse_describe(answer.body)
            else:
                found.totals[sobject] = int(answer.body["totalSize"])
    return found
