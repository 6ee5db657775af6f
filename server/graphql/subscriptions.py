"""GraphQL subscriptions: the live sync feed and run progress, served from server.live."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from server.entities import Entity, Flow
from server.graphql.types import SyncRecord
from server.live import PROGRESS, RECORDS, Entry, InvalidCursor, LiveHub, Reset, StreamId
from server.live.access import TokenWatch
from server.live.direct import current as current_feed
from server.live.sharing import EVENTS
from server.models.sync import RunKind, RunStatus, SyncAction, SyncStatus

logger = logging.getLogger(__name__)

T = TypeVar("T")

strawberry.enum(Entity)
strawberry.enum(Flow)
strawberry.enum(SyncAction)
strawberry.enum(SyncStatus)
strawberry.enum(RunKind)
strawberry.enum(RunStatus)


@strawberry.type(description="A synced record, as recentSyncRecords shows it, plus its cursor.")
class SyncEvent(SyncRecord):
    cursor: str = strawberry.field(description="Pass as `after` to resume just after this event.")


@strawberry.enum
class FeedResetReason(Enum):
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    UNKNOWN_CURSOR = "UNKNOWN_CURSOR"
    SLOW_CONSUMER = "SLOW_CONSUMER"
    SERVER_SHUTDOWN = "SERVER_SHUTDOWN"


_RESET_MESSAGES = {
    "CURSOR_EXPIRED": "Events after this cursor are no longer retained: reload the records.",
    "UNKNOWN_CURSOR": "This cursor is not part of the feed any more: reload the records.",
    "SLOW_CONSUMER": "The feed ran too far ahead of this client: resubscribe with resumeAfter.",
    "SERVER_SHUTDOWN": "The server is shutting down: resubscribe with resumeAfter.",
}


@strawberry.type(
    description="The last message of a feed. With resumeAfter, subscribe again with "
    "after: resumeAfter to continue without a gap; without it, reload (recentSyncRecords) and "
    "subscribe afresh."
)
class FeedReset:
    reason: FeedResetReason
    message: str
    resume_after: str | None


SyncEventsMessage = Annotated[SyncEvent | FeedReset, strawberry.union("SyncEventsMessage")]


@strawberry.enum
class RunProgressType(Enum):
    STARTED = "STARTED"
    PROGRESS = "PROGRESS"
    FINISHED = "FINISHED"


@strawberry.type(description="A sync run started, progressed on one entity, or finished.")
class SyncRunProgressEvent:
    cursor: str
    type: RunProgressType
    run_id: int
    kind: RunKind | None
    entity: Entity | None
    processed: int | None
    total: int | None
    status: RunStatus | None
    reason: str | None
    at: datetime | None


def _caller(info: Info) -> tuple[int, TokenWatch]:
    """The caller's org, from the token checked by the app's on_ws_connect (WebSocket) or
    Authorization header (HTTP), and a watch on that token. Events of any other org are never
    read."""
    caller = info.context.get("caller")
    if caller is None:
        raise GraphQLError("Authentication required", extensions={"code": "UNAUTHENTICATED"})
    return caller.org_id, TokenWatch(caller.token_id)


def _revoked() -> GraphQLError:
    return GraphQLError("The API token was revoked", extensions={"code": "UNAUTHENTICATED"})


def _hub(info: Info) -> LiveHub:
    return info.context["request"].app.state.live_hub


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _id(value: Any) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def sync_event(cursor: str, data: dict[str, Any]) -> SyncEvent:
    return SyncEvent(
        cursor=cursor,
        id=strawberry.ID(str(data["id"])),
        entity=Entity(data["entity"]),
        salesforce_id=data.get("salesforceId"),
        forcemanager_id=_id(data.get("forcemanagerId")),
        record_name=data.get("recordName"),
        action=SyncAction(data["action"]),
        direction=Flow(data["direction"]),
        status=SyncStatus(data["status"]),
        error_code=data.get("errorCode"),
        error_message=data.get("errorMessage"),
        owner_fallback=bool(data.get("ownerFallback")),
        run_id=int(data["runId"]) if data.get("runId") is not None else None,
        at=_when(data.get("at")) or StreamId.parse(cursor).time,
    )


def progress_event(cursor: str, data: dict[str, Any]) -> SyncRunProgressEvent:
    return SyncRunProgressEvent(
        cursor=cursor,
        type=RunProgressType(data["type"]),
        run_id=int(data["runId"]),
        kind=RunKind(data["kind"]) if data.get("kind") else None,
        entity=Entity(data["entity"]) if data.get("entity") else None,
        processed=data.get("processed"),
        total=data.get("total"),
        status=RunStatus(data["status"]) if data.get("status") else None,
        reason=data.get("reason"),
        at=_when(data.get("at")),
    )


def _shared(entry: Entry, kind: str, make: Callable[[str, dict[str, Any]], T]) -> T:
    """The event object of an entry: one object for all the subscribers the hub handed the
    entry to, so that executing their selections on it is done once (server.live.handlers)."""
    if not entry.shared:
        return make(entry.cursor, entry.data)
    return EVENTS.build(entry, kind, lambda: make(entry.cursor, entry.data))


async def _events(
    batches: AsyncGenerator[list[Entry | Reset], None],
    token: TokenWatch,
    kind: str,
    make: Callable[[str, dict[str, Any]], T],
) -> AsyncGenerator[T | Reset, None]:
    """The feed's events as GraphQL objects, ending with its Reset if it sends one; events
    whose frame is known already are written to the subscriber's socket from here instead
    (server.live.direct), each batch of the hub's in one go."""
    direct = current_feed()
    async with aclosing(batches):
        async for batch in batches:
            if not await token.active():
                raise _revoked()
            for item in batch:
                if isinstance(item, Reset):
                    yield item
                    return
                try:
                    event = _shared(item, kind, make)
                except (KeyError, ValueError) as exc:
                    logger.warning("skipping malformed %s event %s: %r", kind, item.cursor, exc)
                    continue
                if direct is not None and item.shared:
                    frame = direct.frame(event)
                    if frame is not None:
                        if not direct.write(frame):
                            await direct.send(frame)
                        continue
                yield event


def _reset(reset: Reset) -> FeedReset:
    return FeedReset(
        reason=FeedResetReason(reset.reason),
        message=_RESET_MESSAGES[reset.reason],
        resume_after=reset.resume_after,
    )


def _parse_after(after: str | None) -> StreamId | None:
    if after is None:
        return None
    try:
        return StreamId.parse(after)
    except InvalidCursor as exc:
        raise GraphQLError(str(exc), extensions={"code": "INVALID_CURSOR"}) from None


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each synced record of the caller's org as it is logged. Null or empty "
        "filters mean all. With `after` (a cursor), resumes just after that event."
    )
    async def sync_events(
        self,
        info: Info,
        entities: list[Entity] | None = None,
        statuses: list[SyncStatus] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[SyncEventsMessage, None]:
        org_id, token = _caller(info)
        start = _parse_after(after)
        wanted_entities = {e.value for e in entities or ()}
        wanted_statuses = {s.value for s in statuses or ()}

        def accept(data: dict[str, Any]) -> bool:
            return (not wanted_entities or data.get("entity") in wanted_entities) and (
                not wanted_statuses or data.get("status") in wanted_statuses
            )

        batches = _hub(info).feed_batches(
            org_id, RECORDS, after=start,
            accept=accept if wanted_entities or wanted_statuses else None,
        )
        # aclosing: a client that unsubscribes leaves the hub at once, not when collected.
        async with aclosing(_events(batches, token, "record", sync_event)) as events:
            async for event in events:
                if isinstance(event, Reset):
                    yield _reset(event)
                    return
                yield event

    @strawberry.subscription(
        description="Run started, progress per entity (processed / total), run finished. "
        "Starts with the events so far of the run in progress, if one is."
    )
    async def sync_run_progress(
        self, info: Info
    ) -> AsyncGenerator[SyncRunProgressEvent, None]:
        org_id, token = _caller(info)
        batches = _hub(info).feed_batches(org_id, PROGRESS, replay_run=True)
        async with aclosing(_events(batches, token, "progress", progress_event)) as events:
            async for event in events:
                if isinstance(event, Reset):
                    raise GraphQLError(
                        _RESET_MESSAGES[event.reason], extensions={"code": event.reason}
                    )
                yield event
