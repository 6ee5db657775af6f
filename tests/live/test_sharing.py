"""An event's work is done once for all the subscribers that asked the same thing, and
each still gets exactly its own frames."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any

import pytest
from graphql import GraphQLError
from redis.asyncio import Redis
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.execution import ExecutionResult

from server.live.handlers import StreamMaskErrors
from server.live.sharing import IdentityCache, SharedEvents
from tests.live.conftest import LiveServer
from tests.live.events import publish_records
from tests.live.test_subscriptions import SYNC_EVENTS, subscribers
from tests.live.wsclient import LEGACY_WS, TRANSPORT_WS, GraphQLWebSocket

NAMES_ONLY = "subscription { syncEvents { ... on SyncEvent { id recordName } } }"


def test_identity_cache_keys_by_the_object_not_its_value():
    cache: IdentityCache[str] = IdentityCache(limit=10)
    first, twin = {"id": 1}, {"id": 1}
    cache.put(first, "first's")
    assert cache.get(first) == "first's"
    assert cache.get(twin) is None  # equal but not the same event
    cache.put(first, "first's, other request", "other")
    assert cache.get(first, "other") == "first's, other request"
    assert cache.get(first) == "first's"


def test_identity_cache_keeps_its_anchors_and_drops_the_oldest_past_its_limit():
    cache: IdentityCache[int] = IdentityCache(limit=3)
    anchors = [object() for _ in range(5)]
    for n, anchor in enumerate(anchors):
        cache.put(anchor, n)
    assert len(cache) == 3
    assert [cache.get(a) for a in anchors] == [None, None, 2, 3, 4]

    # An anchor is held while cached: its id cannot be reused by another object.
    cache = IdentityCache(limit=3)
    cache.put(object(), 1)
    gc.collect()
    assert all(cache.get(object()) is None for _ in range(100))

    with pytest.raises(ValueError):
        IdentityCache(limit=0)


def test_shared_events_builds_once_per_entry_and_knows_what_it_built():
    shared = SharedEvents()
    entry, other_entry = object(), object()
    calls: list[object] = []

    def make() -> dict[str, Any]:
        calls.append(entry)
        return {"built": len(calls)}

    event = shared.build(entry, "record", make)
    assert shared.build(entry, "record", make) is event
    assert len(calls) == 1
    assert shared.build(other_entry, "record", make) is not event
    assert shared.holds(event)
    assert not shared.holds({"built": 1})  # an equal object built elsewhere is not shared

    def broken() -> dict[str, Any]:
        raise KeyError("id")

    with pytest.raises(KeyError):
        shared.build(object(), "record", broken)


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every execution of a subscription selection against an event, by the server."""
    seen: list[Any] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_operation

    def counting(self: Any, serially: bool | None = None) -> Any:
        if serially is False:  # graphql-core executes subscription events this way
            seen.append(self.root_value)
        return original(self, serially)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counting)
    return seen


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_same_request_is_executed_once_per_event_and_framed_per_subscriber(
    live_server: LiveServer, redis: Redis, executions: list[Any], protocol: str
):
    # Two connections send the same request; one of them also subscribes twice more: to a
    # smaller selection, and with a filter. Three distinct requests in all.
    first = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a, protocol=protocol)
    second = await GraphQLWebSocket.open(live_server.ws_url, live_server.viewer_a,
                                         protocol=protocol)
    full_1 = await first.subscribe(SYNC_EVENTS)
    full_2 = await second.subscribe(SYNC_EVENTS)
    names = await second.subscribe(NAMES_ONLY)
    contacts = await second.subscribe(SYNC_EVENTS, {"entities": ["CONTACT"]})
    await subscribers(live_server, live_server.org_a, 4)

    await publish_records(redis, live_server.org_a, [1, 2, 3])
    await publish_records(redis, live_server.org_a, [4], entity="CONTACT")

    kind = "next" if protocol == TRANSPORT_WS else "data"
    got_first = [await first.receive() for _ in range(4)]
    got_second = [await second.receive() for _ in range(4 + 4 + 1)]
    assert {m["type"] for m in got_first + got_second} == {kind}

    def events_of(messages: list[dict], op: str) -> list[dict]:
        return [m["payload"]["data"]["syncEvents"] for m in messages if m["id"] == op]

    assert [m["id"] for m in got_first] == [full_1] * 4
    full = events_of(got_first, full_1)
    assert [e["id"] for e in full] == ["1", "2", "3", "4"]
    assert full == events_of(got_second, full_2)
    assert full[0]["recordName"] == "Record 1" and full[0]["__typename"] == "SyncEvent"
    assert full[3]["entity"] == "CONTACT" and full[3]["forcemanagerId"] == "1004"
    assert events_of(got_second, names) == [
        {"id": str(n), "recordName": f"Record {n}"} for n in (1, 2, 3, 4)
    ]
    assert events_of(got_second, contacts) == [full[3]]

    # Per event: the full request once (for both connections) and the smaller one once;
    # the filtered request once for the one event it lets through.
    assert len(executions) == 4 + 4 + 1
    assert len({id(event) for event in executions}) == 4  # one event object per entry

    await first.close()
    await second.close()


async def test_a_resumed_subscriber_gets_the_missed_events_then_the_shared_ones(
    live_server: LiveServer, redis: Redis
):
    live = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a)
    await live.subscribe(SYNC_EVENTS)
    await subscribers(live_server, live_server.org_a, 1)
    [cursor] = await publish_records(redis, live_server.org_a, [1])
    await publish_records(redis, live_server.org_a, [2, 3])

    late = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a)
    await late.subscribe(SYNC_EVENTS, {"after": cursor})
    caught_up = [(await late.next_payload())["data"]["syncEvents"] for _ in range(2)]
    await subscribers(live_server, live_server.org_a, 2)
    await publish_records(redis, live_server.org_a, [4])

    seen_live = [(await live.next_payload())["data"]["syncEvents"] for _ in range(4)]
    seen_late = caught_up + [(await late.next_payload())["data"]["syncEvents"]]
    assert [e["id"] for e in seen_late] == ["2", "3", "4"]
    assert seen_late == seen_live[1:]
    await live.close()
    await late.close()


def test_stream_mask_errors_masks_a_frame_with_errors_and_leaves_a_clean_one_alone():
    masker = StreamMaskErrors(should_mask_error=lambda error: error.original_error is not None)
    failed = ExecutionResult(data=None, errors=[
        GraphQLError("db password is hunter2", original_error=RuntimeError("boom")),
        GraphQLError("The API token was revoked"),
    ])
    with contextmanager(masker.on_stream_result)(failed):
        pass
    assert [e.message for e in failed.errors or ()] == [
        "Unexpected error.", "The API token was revoked"]

    data = {"syncEvents": {"id": "1"}}
    clean = ExecutionResult(data=data, errors=None)
    with contextmanager(masker.on_stream_result)(clean):
        pass
    assert clean.data is data and clean.errors is None


def test_executing_events_leaves_the_subscription_s_executor_as_it_was() -> None:
    # graphql-core memoizes sub-field collection per execution in a dict its per-event
    # copies share with the subscription's executor: one entry per event, for as long as
    # the subscription lives, unless each copy gets its own.
    from graphql import parse

    from server.graphql.schema import schema
    from server.graphql.subscriptions import sync_event
    from server.live.handlers import SharedEventExecutor

    document = parse("subscription { syncEvents { __typename ... on SyncEvent { id cursor } } }")
    base = SharedEventExecutor.build(schema._schema, document, context_value={"caller": None})
    data = {"id": 1, "entity": "ACCOUNT", "action": "UPDATED", "status": "SUCCESS",
            "direction": "SALESFORCE_TO_FORCEMANAGER", "at": "2026-01-01T00:00:00+00:00"}
    memo_before = len(base._relevant_sub_fields)
    for n in range(20):
        result = base.build_per_event_executor(sync_event(f"1-{n}", data)).execute_operation()
        assert result.data == {"syncEvents": {"__typename": "SyncEvent", "id": "1",
                                              "cursor": f"1-{n}"}}
    assert len(base._relevant_sub_fields) == memo_before
