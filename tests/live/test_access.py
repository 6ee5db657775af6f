"""TokenWatch: feeds on one token share the database's answer."""

from __future__ import annotations

import asyncio

import pytest

from server.live import access


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    asked: list[int] = []

    async def token_active(token_id: int) -> bool:
        asked.append(token_id)
        await asyncio.sleep(0.01)  # a query in flight while the other feeds come due
        return token_id != 13

    monkeypatch.setattr(access, "token_active", token_active)
    monkeypatch.setattr(access, "ANSWERS", access._Answers())
    return asked


async def test_feeds_on_one_token_due_together_ask_the_database_once(queries: list[int]):
    watches = [access.TokenWatch(7, every=0.0) for _ in range(50)]
    watches += [access.TokenWatch(13, every=0.0) for _ in range(50)]
    answers = await asyncio.gather(*(watch.active() for watch in watches))
    assert answers == [True] * 50 + [False] * 50
    assert sorted(queries) == [7, 13]


async def test_a_recent_answer_is_reused_within_half_the_period(queries: list[int]):
    first, second = access.TokenWatch(7, every=60.0), access.TokenWatch(7, every=60.0)
    first._checked = second._checked = 0.0  # both due
    assert await first.active() and await second.active()
    assert queries == [7]
