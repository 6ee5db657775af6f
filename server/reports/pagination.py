"""Keyset pagination, newest first, with opaque cursors."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.queryset import QuerySet

from server.integration.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_next_page: bool


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"Invalid cursor {cursor!r}.") from None


async def page(query: QuerySet[T], first: int, after: str | None) -> Page[T]:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}.")
    if after is not None:
        query = query.filter(id__lt=decode_cursor(after))
    rows = await query.order_by("-id").limit(first + 1)
    return Page(rows[:first], has_next_page=len(rows) > first)
