"""The values the Salesforce client takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class SalesforceSession:
    """What the integration stores (encrypted) to reconnect."""

    instance_url: str
    access_token: str
    refresh_token: str | None = None
    user_id: str | None = None  # from the identity URL / SOAP login
    org_id: str | None = None
    username: str | None = None

    def __repr__(self) -> str:
        # Tokens never reach logs or tracebacks through a repr.
        return (
            f"SalesforceSession(instance_url={self.instance_url!r}, "
            f"user_id={self.user_id!r}, org_id={self.org_id!r}, username={self.username!r})"
        )


@dataclass
class OAuthApp:
    """The connected app, and where to log in (https://login.salesforce.com or a sandbox)."""

    login_url: str
    client_id: str
    client_secret: str
    ca_bundle: str | None = None

    def __repr__(self) -> str:
        return f"OAuthApp(login_url={self.login_url!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class ApiUsage:
    """The org's daily API allowance, from the `Sforce-Limit-Info` header."""

    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


@dataclass
class SObjectSummary:
    name: str
    label: str
    custom: bool
    queryable: bool
    createable: bool
    updateable: bool
    deletable: bool
    key_prefix: str | None = None


@dataclass
class FieldInfo:
    name: str
    label: str
    type: str  # Salesforce's field type: string, boolean, double, reference, picklist, ...
    custom: bool
    createable: bool
    updateable: bool
    nillable: bool
    picklist_values: list[str] = field(default_factory=list)  # active values only
    reference_to: list[str] = field(default_factory=list)
    length: int = 0
    relationship_name: str | None = None


@dataclass
class SObjectDescribe:
    name: str
    label: str
    custom: bool
    fields: list[FieldInfo]

    def field(self, name: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class UpdatedResult:
    ids: list[str]
    latest_date_covered: datetime


@dataclass
class DeletedResult:
    records: list[tuple[str, datetime]]  # (id, deleted date)
    earliest_date_available: datetime | None
    latest_date_covered: datetime


@dataclass
class CompositeRequest:
    """One subrequest of a Composite call.

    `url` is either a full path (/services/data/v59.0/...) or relative to the API version
    (e.g. "sobjects/Account/001..."). `reference_id` names the answer.
    """

    method: str
    url: str
    reference_id: str
    body: Any = None


@dataclass
class CompositeResponse:
    reference_id: str
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Record(dict):
    """A record as the API returned it: a plain dict that can also be weakly referenced
    (tests check that the client lets go of every page it has handed over)."""

    __slots__ = ("__weakref__",)


class Page(list):
    """One page of records. `total_size` is the size of the whole read when known."""

    total_size: int | None

    def __init__(self, records: list[dict[str, Any]], total_size: int | None = None) -> None:
        super().__init__(records)
        self.total_size = total_size
