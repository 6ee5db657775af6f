"""Work done once per event for every subscriber that asked the same thing.

The hub hands the same Entry object to all the subscribers of an org; what is derived from
it (the GraphQL object, the result of a selection, the JSON text of a frame's payload) is
kept here, keyed by the identity of the object it was derived from, so that 500 subscribers
cost one derivation and 499 look-ups.

Keys are object identities: each cache holds a reference to the object its entry was
derived from (its anchor), so that object cannot be collected and its id reused while the
entry lives, and a look-up only hits when the very same object is asked about again.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

# Enough for a subscriber that is a whole hub queue (1000 events) behind to still hit.
DEFAULT_LIMIT = 2048


class IdentityCache(Generic[V]):
    """A bounded map (least recently stored out first) from (an object, a hashable detail)
    to a value derived from that object."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._entries: OrderedDict[tuple[int, Hashable], tuple[Any, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, anchor: object, detail: Hashable = None) -> V | None:
        found = self._entries.get((id(anchor), detail))
        if found is None or found[0] is not anchor:
            return None
        return found[1]

    def put(self, anchor: object, value: V, detail: Hashable = None) -> None:
        key = (id(anchor), detail)
        self._entries[key] = (anchor, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class SharedEvents:
    """The GraphQL object built once per stream entry, and the set of objects so built:
    only these are worth executing once for all subscribers (a FeedReset, say, is one
    subscriber's own)."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._built: IdentityCache[Any] = IdentityCache(limit)
        self._shared: IdentityCache[bool] = IdentityCache(limit)

    def build(self, entry: object, kind: str, make: Callable[[], V]) -> V:
        """make()'s object for entry, the same object for every caller while it is kept."""
        found = self._built.get(entry, kind)
        if found is not None:
            return found
        value = make()
        self._built.put(entry, value, kind)
        self._shared.put(value, True)
        return value

    def holds(self, value: object) -> bool:
        return self._shared.get(value) is True


# One per process, like the hub that hands out the entries.
EVENTS = SharedEvents()


# Results of (shared event, request): a request's results are kept as long as the events.
RESULTS: IdentityCache[Any] = IdentityCache()
# JSON text of a shared result's payload ({"data": ...}), keyed by the result's data object;
# "" until the first subscriber's frame serializes it. Other results are not in here: their
# data is one subscriber's.
PAYLOADS: IdentityCache[str] = IdentityCache()


class RequestIds:
    """A small int per distinct subscription request (document, operation, variables,
    org): the per-message look-ups above then hash an int, not the request's texts.
    Bounded: a request whose id was forgotten gets a new one, and results cached under the
    old id are simply not found by the subscriptions that use the new one."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._ids: OrderedDict[Hashable, int] = OrderedDict()
        self._next = itertools.count()

    def of(self, request: Hashable) -> int:
        found = self._ids.get(request)
        if found is None:
            found = self._ids[request] = next(self._next)
            while len(self._ids) > self.limit:
                self._ids.popitem(last=False)
        return found


REQUESTS = RequestIds()
