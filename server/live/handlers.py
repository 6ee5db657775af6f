"""Strawberry's subscription machinery, taught to do an event's work once for all its
subscribers.

Strawberry runs a subscription's selection against each event for each subscriber, and
serializes each frame whole. With 500 subscribers of one org that is 500 identical
executions and 500 identical `json.dumps` per event. Here:

- SharedEventExecutor (the schema's execution context class) keeps the result of executing
  one subscription request (document, operation, variables, org) against one shared event
  object (server.live.sharing.EVENTS) and hands that same result to the other subscribers
  that sent the same request;
- the WebSocket handlers of both protocols serialize a result's payload once and send each
  subscriber its frame as that text wrapped with its own operation id.

Anything else (results with errors or extensions, events built for one subscriber, queries
and mutations) takes Strawberry's ordinary path. The resolvers of a shared event's fields
must not depend on the caller beyond its org: the org is part of the key. A shared result's
`data` is one object for many subscribers: nothing may change it in place.

Once a frame's payload is known, the other subscribers' resolvers write their frames
themselves (server.live.direct); what stays per subscriber is the hub queue, the
resolver's generator (filters, token re-check, resume) and the frame's own send.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from graphql import ExecutionResult, print_ast
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.extensions import MaskErrors
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.execution import StreamExecutionResult

from server.live.direct import CURRENT, DirectFeed
from server.live.frames import frame_writer
from server.live.results import errors_only, share
from server.live.sharing import EVENTS, PAYLOADS, REQUESTS, RESULTS


def _encode(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Executes a subscription's selection against a shared event once per distinct
    request; every other subscriber with the same request gets the same result object."""

    _request: Hashable | None = None  # this subscription's request, computed once
    _shared: bool = False  # this per-event copy executes a shared event

    def build_per_event_executor(self, payload: Any) -> Any:
        if not EVENTS.holds(payload):
            return self._copy_for(payload)
        if self._request is None:
            self._request = self._request_key()
            feed = CURRENT.get()
            if feed is not None:
                feed.request = self._request
        found = RESULTS.get(payload, self._request)
        if found is not None:
            return _Executed(found)  # no copy of this executor for a result already known
        executor = self._copy_for(payload)
        executor._request = self._request
        executor._shared = True
        return executor

    def _copy_for(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        # graphql-core memoizes sub-field collection by the identity of each execution's
        # field lists, in a dict the per-event copies share with this executor: one entry
        # (~15 objects) per event for as long as the subscription lives, a leak that also
        # made each full pass of the cyclic collector slower. Each copy gets its own.
        if hasattr(executor, "_relevant_sub_fields"):
            executor._relevant_sub_fields = {}
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        # An async resolver's result is left alone; so is one with errors, so that each
        # subscriber's errors go through Strawberry's processing (logging, masking) as ever.
        if self._shared and isinstance(result, ExecutionResult) and not result.errors:
            RESULTS.put(self.root_value, result, self._request)
            PAYLOADS.put(result.data, "")
            share(result)
        return result

    def _request_key(self) -> Hashable:
        location = self.operation.loc
        document = location.source.body if location else print_ast(self.operation)
        variables = json.dumps(
            self.variable_values.coerced, sort_keys=True, default=repr, separators=(",", ":")
        )
        context = self.context_value
        caller = context.get("caller") if isinstance(context, Mapping) else None
        org = getattr(caller, "org_id", None)
        name = self.operation.name.value if self.operation.name else None
        return REQUESTS.of((document, name, variables, org))


class _Executed:
    """Stands in for a per-event executor when the event's result is known already."""

    __slots__ = ("result",)

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self.result


class StreamMaskErrors(MaskErrors):
    """Strawberry's MaskErrors, minus its cost on results without errors: it tells them
    apart with isinstance against a runtime-checkable Protocol (~5 us), once per frame of
    every subscriber. Results with errors are masked exactly as by MaskErrors."""

    @errors_only
    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        if (
            getattr(result, "errors", None)
            or getattr(result, "incremental", None)
            or getattr(result, "completed", None)
        ):
            yield from super().on_stream_result(result)
            return
        self._stream_result_processed = True
        yield None


def shared_payload(payload: Mapping[str, Any]) -> str | None:
    """The JSON text of a next/data payload of a shared result that holds data only (no
    errors, no extensions), serialized once; None for anything else."""
    data = payload.get("data")
    if len(payload) != 1 or data is None:
        return None
    text = PAYLOADS.get(data)
    if text == "":
        text = _encode(payload)
        PAYLOADS.put(data, text)
    return text


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's Starlette adapter, plus sending text that is JSON already: straight to
    the connection's frame writer when the server gave one (server.live.frames)."""

    def write_now(self, text: str) -> bool:
        """Queue a text frame on the connection's frame writer; False when there is none
        or it cannot take the frame now (send_text then waits its turn)."""
        writer = frame_writer(self.ws.scope)
        return (
            writer is not None
            and self.ws.application_state is WebSocketState.CONNECTED
            and writer.write_text(text)
        )

    async def send_text(self, text: str) -> None:
        if self.write_now(text):
            return
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, with shared payloads."""

    async def run_operation(self, operation: Any) -> None:
        # The operation's own task: what its resolver will find in CURRENT.
        if isinstance(self.websocket, TextWebSocketAdapter):
            head = f'{{"id":{_encode(operation.id)},"type":"next","payload":'
            CURRENT.set(
                DirectFeed(self.websocket, head, lambda: not operation.completed)
            )
        await super().run_operation(operation)

    async def send_message(self, message: Any) -> None:
        if message.get("type") == "next" and isinstance(self.websocket, TextWebSocketAdapter):
            payload = shared_payload(message["payload"])
            if payload is not None:
                frame = f'{{"id":{_encode(message["id"])},"type":"next","payload":{payload}}}'
                await self.websocket.send_text(frame)
                return
        await super().send_message(message)


class LegacyWSHandler(BaseGraphQLWSHandler):
    """graphql-ws (the older protocol), with shared payloads."""

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        # The operation's own task: what its resolver will find in CURRENT.
        if isinstance(self.websocket, TextWebSocketAdapter):
            head = f'{{"type":"data","id":{_encode(operation_id)},"payload":'
            CURRENT.set(DirectFeed(self.websocket, head))
        await super().handle_async_results(operation_id, query, operation_name, variables)

    async def send_message(self, message: Any) -> None:
        if message.get("type") == "data" and isinstance(self.websocket, TextWebSocketAdapter):
            payload = shared_payload(message["payload"])
            if payload is not None:
                frame = f'{{"type":"data","id":{_encode(message["id"])},"payload":{payload}}}'
                await self.websocket.send_text(frame)
                return
        await super().send_message(message)
