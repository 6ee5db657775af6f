"""The ForceManager pacer's schedule, read off a clock the test controls: no second ever
holds more than `rate` calls, and calls after a pause go out at once."""

from __future__ import annotations

import pytest

from server.clients.forcemanager import pacing
from server.clients.forcemanager.pacing import SAFETY_MARGIN, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sent: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(pacing.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(pacing.asyncio, "sleep", fake.sleep)
    return fake


async def paced_calls(pacer: Pacer, clock: Clock, count: int) -> list[float]:
    """Send `count` calls one after the other; the clock time each went out."""
    sent = []
    for _ in range(count):
        await pacer.wait()
        sent.append(clock.now)
    return sent


def most_in_any_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


async def test_no_second_holds_more_than_the_rate(clock: Clock) -> None:
    sent = await paced_calls(Pacer(13), clock, 100)
    assert most_in_any_second(sent) == 13
    # and nothing slower than the rate needs: 100 calls in ceil(100/13) - 1 windows
    assert sent[-1] == pytest.approx(7 * SAFETY_MARGIN)


async def test_a_pause_is_not_lost(clock: Clock) -> None:
    pacer = Pacer(4)
    first = await paced_calls(pacer, clock, 4)
    assert first == [0.0] * 4  # a burst up to the rate goes out at once
    clock.now = 10.0  # the caller was busy elsewhere
    after = await paced_calls(pacer, clock, 8)
    assert after[:4] == [10.0] * 4
    assert after[4:] == [pytest.approx(10.0 + SAFETY_MARGIN)] * 4


async def test_a_slow_rate_spaces_single_calls(clock: Clock) -> None:
    sent = await paced_calls(Pacer(0.5), clock, 3)
    assert sent == [0.0, pytest.approx(2 * SAFETY_MARGIN), pytest.approx(4 * SAFETY_MARGIN)]


async def test_no_rate_no_waiting(clock: Clock) -> None:
    sent = await paced_calls(Pacer(None), clock, 1000)
    assert sent == [0.0] * 1000
