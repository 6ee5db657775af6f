"""What the sync did: statistics, the latest records, the full log and the runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from server.entities import Entity, Flow
from server.graphql import errors as e
from server.graphql.context import Info, org_id
from server.graphql.permissions import query
from server.graphql.types import SyncRecord, SyncRunType
from server.models import SyncAction, SyncStatus
from server.reports import service
from server.reports.pagination import encode_cursor


@strawberry.type
class EntityStatistics:
    entity: Entity
    direction: Flow
    created: int
    updated: int
    deleted: int
    failed: int


@strawberry.type
class SyncStatistics:
    since: datetime
    until: datetime
    entities: list[EntityStatistics]


@strawberry.type
class SyncRecordList:
    records: list[SyncRecord]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class SyncRecordEdge:
    cursor: str
    node: SyncRecord


@strawberry.type
class SyncLogConnection:
    edges: list[SyncRecordEdge]
    page_info: PageInfo


@strawberry.type
class SyncRunEdge:
    cursor: str
    node: SyncRunType


@strawberry.type
class SyncRunConnection:
    edges: list[SyncRunEdge]
    page_info: PageInfo


SyncStatisticsResult = Annotated[
    SyncStatistics | e.InvalidInput, strawberry.union("SyncStatisticsResult")
]
RecentSyncRecordsResult = Annotated[
    SyncRecordList | e.InvalidInput, strawberry.union("RecentSyncRecordsResult")
]
SyncLogResult = Annotated[SyncLogConnection | e.InvalidInput, strawberry.union("SyncLogResult")]
SyncRunsResult = Annotated[SyncRunConnection | e.InvalidInput, strawberry.union("SyncRunsResult")]


def _page_info(edges: list[SyncRecordEdge] | list[SyncRunEdge], has_next: bool) -> PageInfo:
    return PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None)


@strawberry.type
class ReportsQuery:
    @query(
        description="Created / updated / deleted / failed per entity and direction over "
        "[since, until) (hourly buckets; default: the last 30 days)."
    )
    async def sync_statistics(
        self,
        info: Info,
        since: datetime | None = None,
        until: datetime | None = None,
        entity: Entity | None = None,
    ) -> SyncStatisticsResult:
        done = await e.attempt(service.statistics(org_id(info), since, until, entity))
        if isinstance(done, e.UserError):
            return done
        return SyncStatistics(
            since=done.since,
            until=done.until,
            entities=[
                EntityStatistics(
                    entity=r.entity,
                    direction=r.direction,
                    created=r.created,
                    updated=r.updated,
                    deleted=r.deleted,
                    failed=r.failed,
                )
                for r in done.rows
            ],
        )

    @query(description="The latest synced records, newest first (at most 100).")
    async def recent_sync_records(
        self,
        info: Info,
        limit: int = 100,
        entity: Entity | None = None,
        status: SyncStatus | None = None,
    ) -> RecentSyncRecordsResult:
        done = await e.attempt(service.recent_records(org_id(info), limit, entity, status))
        if isinstance(done, e.UserError):
            return done
        return SyncRecordList(records=[SyncRecord.from_model(r) for r in done])

    @query(
        description="Every change the sync made over the retained log (SYNC_LOG_RETENTION_DAYS"
        ", 90 by default), newest first; pass pageInfo.endCursor as after for the next page."
    )
    async def sync_log(
        self,
        info: Info,
        entity: Entity | None = None,
        action: SyncAction | None = None,
        direction: Flow | None = None,
        status: SyncStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> SyncLogResult:
        done = await e.attempt(
            service.sync_log(
                org_id(info),
                entity=entity,
                action=action,
                direction=direction,
                status=status,
                since=since,
                until=until,
                first=first,
                after=after,
            )
        )
        if isinstance(done, e.UserError):
            return done
        edges = [
            SyncRecordEdge(cursor=encode_cursor(r.id), node=SyncRecord.from_model(r))
            for r in done.items
        ]
        return SyncLogConnection(edges=edges, page_info=_page_info(edges, done.has_next_page))

    @query(description="The history of sync runs, newest first.")
    async def sync_runs(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> SyncRunsResult:
        done = await e.attempt(service.sync_runs(org_id(info), first=first, after=after))
        if isinstance(done, e.UserError):
            return done
        edges = [
            SyncRunEdge(cursor=encode_cursor(r.id), node=SyncRunType.from_model(r))
            for r in done.items
        ]
        return SyncRunConnection(edges=edges, page_info=_page_info(edges, done.has_next_page))
