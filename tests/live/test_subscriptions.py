"""syncEvents and syncRunProgress over real WebSockets to a uvicorn server running the app."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from websockets.exceptions import InvalidStatus

from server import events
from tests.live.conftest import ALLOWED_ORIGIN, LiveServer
from tests.live.events import progress, publish_records
from tests.live.wsclient import LEGACY_WS, TRANSPORT_WS, GraphQLWebSocket, Rejected

SYNC_EVENTS = """
subscription Feed($entities: [Entity!], $statuses: [SyncStatus!], $after: String) {
  syncEvents(entities: $entities, statuses: $statuses, after: $after) {
    __typename
    ... on SyncEvent {
      id entity recordName salesforceId forcemanagerId action direction status
      errorCode errorMessage ownerFallback runId at cursor
    }
    ... on FeedReset { reason message resumeAfter }
  }
}
"""

RUN_PROGRESS = """
subscription { syncRunProgress { type runId kind entity processed total status reason cursor } }
"""


async def subscribers(server: LiveServer, org_id: int, count: int) -> None:
    """Wait until the server's hub holds `count` live subscribers of the org."""
    for _ in range(500):
        reader = server.hub._readers.get(org_id)
        if reader and reader.ready.is_set() and sum(s.active for s in reader.subscribers) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the server never had {count} subscribers of org {org_id}")


async def no_reader(server: LiveServer) -> None:
    """Wait until the server's hub has let go of every org: nobody is subscribed."""
    for _ in range(500):
        if server.hub.reader_count == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the hub still reads for subscribers that left")


async def feed(ws: GraphQLWebSocket, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        payload = await ws.next_payload()
        assert "errors" not in payload, payload
        out.append(payload["data"]["syncEvents"])
    return out


def ids(items: list[dict]) -> list[int]:
    return [int(item["id"]) for item in items]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_frames_written_for_many_subscribers_arrive_whole_and_in_order(
    live_server: LiveServer, redis: Redis, protocol: str
):
    # Same request from every subscriber: after the first, each one's frames are written
    # by its resolver, several per socket write, with the header framed by hand. Half of
    # the clients offer permessage-deflate, as browsers do: the server declines it.
    clients = [
        await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a, protocol=protocol,
                                    compression=None if n % 2 else "deflate")
        for n in range(4)
    ]
    for client in clients:
        assert client.conn.response is not None
        assert "Sec-WebSocket-Extensions" not in client.conn.response.headers
        await client.subscribe(SYNC_EVENTS)
    await subscribers(live_server, live_server.org_a, len(clients))

    await publish_records(redis, live_server.org_a, range(1, 41))
    await publish_records(redis, live_server.org_a, range(41, 301))
    got = [await feed(client, 300) for client in clients]

    for received in got:
        assert ids(received) == list(range(1, 301))
    assert all(received == got[0] for received in got)
    for client in clients:
        await client.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_subscribers_receive_every_event_in_order(
    live_server: LiveServer, redis: Redis, protocol: str
):
    first = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a, protocol=protocol)
    second = await GraphQLWebSocket.open(live_server.ws_url, live_server.viewer_a,
                                         protocol=protocol)
    await first.subscribe(SYNC_EVENTS)
    await second.subscribe(SYNC_EVENTS)
    await subscribers(live_server, live_server.org_a, 2)
    assert live_server.hub.reader_count == 1  # one Redis reader for both connections

    cursors = await publish_records(redis, live_server.org_a, range(1, 26))
    cursors += await publish_records(redis, live_server.org_a, [26], status="ERROR")

    for ws in (first, second):
        got = await feed(ws, 26)
        assert ids(got) == list(range(1, 27))
        assert [g["cursor"] for g in got] == cursors
        assert {g["__typename"] for g in got} == {"SyncEvent"}
    assert got[0]["recordName"] == "Record 1"
    assert got[0]["direction"] == "SALESFORCE_TO_FORCEMANAGER"
    assert got[1]["direction"] == "FORCEMANAGER_TO_SALESFORCE"
    assert got[0]["forcemanagerId"] == "1001" and got[0]["runId"] == 7
    assert got[-1]["status"] == "ERROR" and got[-1]["errorCode"] == "DUPLICATE_VALUE"
    await first.close()
    await second.close()
    await no_reader(live_server)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_resume_after_a_disconnect_gets_exactly_the_missed_events(
    live_server: LiveServer, redis: Redis, protocol: str
):
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a, protocol=protocol)
    await ws.subscribe(SYNC_EVENTS)
    await subscribers(live_server, live_server.org_a, 1)
    await publish_records(redis, live_server.org_a, range(1, 4))
    seen = await feed(ws, 3)
    await ws.close()

    await publish_records(redis, live_server.org_a, range(4, 9))  # while away

    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a, protocol=protocol)
    await ws.subscribe(SYNC_EVENTS, {"after": seen[-1]["cursor"]})
    assert ids(await feed(ws, 5)) == [4, 5, 6, 7, 8]
    await subscribers(live_server, live_server.org_a, 1)
    await publish_records(redis, live_server.org_a, [9])
    assert ids(await feed(ws, 1)) == [9]
    await ws.close()


async def test_a_cursor_past_retention_tells_the_client_to_reload(
    live_server: LiveServer, redis: Redis, monkeypatch: pytest.MonkeyPatch
):
    from server.config import get_settings

    monkeypatch.setenv("EVENTS_STREAM_MAXLEN", "10")
    get_settings.cache_clear()
    cursors = await publish_records(redis, live_server.org_a, range(1, 301))
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a)
    op = await ws.subscribe(SYNC_EVENTS, {"after": cursors[0]})
    [reset] = await feed(ws, 1)
    assert reset["__typename"] == "FeedReset"
    assert reset["reason"] == "CURSOR_EXPIRED" and reset["resumeAfter"] is None
    assert "reload" in reset["message"]
    assert await ws.receive() == {"type": "complete", "id": op}
    await ws.close()


async def test_filters_by_entity_and_status(live_server: LiveServer, redis: Redis):
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a)
    await ws.subscribe(SYNC_EVENTS, {"entities": ["CONTACT"], "statuses": ["ERROR"]})
    await subscribers(live_server, live_server.org_a, 1)
    await publish_records(redis, live_server.org_a, [1], entity="CONTACT")
    await publish_records(redis, live_server.org_a, [2], entity="ACCOUNT", status="ERROR")
    await publish_records(redis, live_server.org_a, [3], entity="CONTACT", status="ERROR")
    [only] = await feed(ws, 1)
    assert (only["id"], only["entity"], only["status"]) == ("3", "CONTACT", "ERROR")
    # Unsubscribing (without closing the connection) lets go of the hub too.
    await ws.stop("1")
    await no_reader(live_server)
    await ws.close()


async def test_a_token_of_another_org_gets_nothing_of_this_org(
    live_server: LiveServer, redis: Redis
):
    other = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_b)
    await other.subscribe(SYNC_EVENTS)
    await subscribers(live_server, live_server.org_b, 1)
    await publish_records(redis, live_server.org_a, range(1, 6))
    await publish_records(redis, live_server.org_b, [100])
    # Events are delivered in order, so the first one it sees being its own proves it got
    # none of org A's five before it.
    assert ids(await feed(other, 1)) == [100]
    # Resuming from the very beginning replays org B's own history only.
    await other.subscribe(SYNC_EVENTS, {"after": "0-0"})
    assert ids(await feed(other, 1)) == [100]
    await other.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("token", [None, "fmsf_not-a-real-token", "garbage"])
async def test_no_token_or_a_bad_token_is_refused(
    live_server: LiveServer, protocol: str, token: str | None
):
    with pytest.raises(Rejected) as refused:
        await GraphQLWebSocket.open(live_server.ws_url, token, protocol=protocol)
    reply = refused.value.args[0]
    if protocol == TRANSPORT_WS:
        assert reply == {"type": "closed", "code": 4403, "reason": "Forbidden"}
    else:
        assert reply["type"] == "connection_error"


async def test_subscribing_without_connection_init_is_refused(live_server: LiveServer):
    from websockets.asyncio.client import connect

    for protocol in (TRANSPORT_WS, LEGACY_WS):
        async with connect(live_server.ws_url, subprotocols=[protocol]) as conn:
            ws = GraphQLWebSocket(conn, protocol)
            await ws.subscribe(SYNC_EVENTS)
            assert await ws.receive() == {"type": "closed", "code": 4401,
                                          "reason": "Unauthorized"}


async def test_cross_origin_websockets_need_an_allowed_origin(live_server: LiveServer):
    with pytest.raises(InvalidStatus) as refused:
        await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a,
                                    origin="http://evil.example")
    assert refused.value.response.status_code == 403
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a,
                                     origin=ALLOWED_ORIGIN)
    await ws.close()


async def test_a_malformed_cursor_is_a_typed_error(live_server: LiveServer):
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a)
    await ws.subscribe(SYNC_EVENTS, {"after": "yesterday"})
    message = await ws.receive()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "INVALID_CURSOR"
    assert live_server.hub.reader_count == 0
    await ws.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_run_progress_reports_start_progress_and_finish(
    live_server: LiveServer, redis: Redis, protocol: str
):
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a, protocol=protocol)
    await ws.subscribe(RUN_PROGRESS)
    await subscribers(live_server, live_server.org_a, 1)
    org = live_server.org_a
    await events.publish_progress(redis, org, progress("STARTED"))
    await events.publish_progress(redis, org, progress("PROGRESS", entity="ACCOUNT",
                                                       processed=50, total=120))
    await events.publish_progress(redis, org, progress("FINISHED", status="SUCCESS"))
    got = [(await ws.next_payload())["data"]["syncRunProgress"] for _ in range(3)]
    assert [g["type"] for g in got] == ["STARTED", "PROGRESS", "FINISHED"]
    assert (got[1]["entity"], got[1]["processed"], got[1]["total"]) == ("ACCOUNT", 50, 120)
    assert got[2]["status"] == "SUCCESS" and got[0]["kind"] == "INITIAL"
    await ws.close()


async def test_run_progress_starts_with_the_run_in_progress(live_server: LiveServer, redis: Redis):
    org = live_server.org_a
    await events.publish_progress(redis, org, progress("STARTED", run_id=1))
    await events.publish_progress(redis, org, progress("FINISHED", run_id=1, status="SUCCESS"))
    await events.publish_progress(redis, org, progress("STARTED", run_id=2))
    await events.publish_progress(redis, org, progress("PROGRESS", run_id=2, entity="CONTACT",
                                                       processed=10, total=40))
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.viewer_a)
    await ws.subscribe(RUN_PROGRESS)
    got = [(await ws.next_payload())["data"]["syncRunProgress"] for _ in range(2)]
    assert [(g["type"], g["runId"]) for g in got] == [("STARTED", 2), ("PROGRESS", 2)]
    await subscribers(live_server, org, 1)
    await events.publish_progress(redis, org, progress("FINISHED", run_id=2, status="PARTIAL"))
    last = (await ws.next_payload())["data"]["syncRunProgress"]
    assert (last["type"], last["runId"], last["status"]) == ("FINISHED", 2, "PARTIAL")
    await ws.close()

    # Once the run finished, a new subscriber gets only what comes next.
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.viewer_a)
    await ws.subscribe(RUN_PROGRESS)
    await subscribers(live_server, org, 1)
    await events.publish_progress(redis, org, progress("STARTED", run_id=3))
    first = (await ws.next_payload())["data"]["syncRunProgress"]
    assert (first["type"], first["runId"]) == ("STARTED", 3)
    await ws.close()


async def test_an_unreadable_stream_entry_is_skipped_not_fatal(
    live_server: LiveServer, redis: Redis
):
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.token_a)
    await ws.subscribe(SYNC_EVENTS)
    await subscribers(live_server, live_server.org_a, 1)
    stream = events.record_stream(live_server.org_a)
    await publish_records(redis, live_server.org_a, [1])
    await redis.xadd(stream, {"data": "not json"})
    await redis.xadd(stream, {"data": '{"id": 2, "entity": "SPACESHIP"}'})
    await publish_records(redis, live_server.org_a, [3])
    assert ids(await feed(ws, 2)) == [1, 3]
    await ws.close()


async def test_a_revoked_token_stops_receiving(
    live_server: LiveServer, redis: Redis, monkeypatch: pytest.MonkeyPatch
):
    import httpx

    from server.live import access

    monkeypatch.setattr(access, "RECHECK_SECONDS", 0.0)
    ws = await GraphQLWebSocket.open(live_server.ws_url, live_server.viewer_a)
    await ws.subscribe(SYNC_EVENTS)
    await subscribers(live_server, live_server.org_a, 1)
    await publish_records(redis, live_server.org_a, [1])
    assert ids(await feed(ws, 1)) == [1]

    async with httpx.AsyncClient(base_url=live_server.url) as http:
        tokens = await http.post("/graphql", json={"query": "{ apiTokens { id role } }"},
                                 headers={"Authorization": f"Bearer {live_server.token_a}"})
        viewer = next(t for t in tokens.json()["data"]["apiTokens"] if t["role"] == "VIEWER")
        revoked = await http.post(
            "/graphql", headers={"Authorization": f"Bearer {live_server.token_a}"},
            json={"query": "mutation($id: Int!) { revokeApiToken(id: $id) { __typename } }",
                  "variables": {"id": int(viewer["id"])}})
        assert revoked.json()["data"]["revokeApiToken"]["__typename"] == "ApiToken"

    await publish_records(redis, live_server.org_a, [2])
    payload = await ws.next_payload()
    assert payload.get("data") is None
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await ws.close()
