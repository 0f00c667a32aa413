"""The token bucket paces a sender and lets replies to parents go before bulk reminders."""

from __future__ import annotations

import asyncio

import pytest

from bot.reminders.ratelimit import PacedSender, Priority, TokenBucket

from .conftest import RecordingSender

pytestmark = pytest.mark.anyio


class FakeTime:
    """Monotonic seconds that only move when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    """With rate 2/s and burst 3: three at once, then one every half second."""
    clock = FakeTime()
    bucket = TokenBucket(2, 3, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(7):
        await bucket.acquire()
        stamps.append(clock.now)
    assert stamps == [0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
    await bucket.close()


async def test_replies_go_ahead_of_queued_bulk() -> None:
    """A reply that arrives behind 5 queued reminders is served next."""
    clock = FakeTime()
    bucket = TokenBucket(1, 1, clock=clock, sleep=clock.sleep)
    await bucket.acquire()  # empty the bucket
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await bucket.acquire(priority)
        order.append(name)

    bulk = [asyncio.create_task(take(f"bulk{i}", Priority.BULK)) for i in range(5)]
    await asyncio.sleep(0)
    reply = asyncio.create_task(take("reply", Priority.REPLY))
    await asyncio.gather(*bulk, reply)
    assert order[0] == "reply"
    assert order[1:] == [f"bulk{i}" for i in range(5)]
    await bucket.close()


async def test_paced_sender_sends_through_the_wrapped_sender() -> None:
    """PacedSender is a Sender: replies by default, reminders through send_bulk."""
    inner = RecordingSender()
    paced = PacedSender(inner, TokenBucket(100, 10))
    await paced.send("+12035550142", "reply")
    await paced.send_bulk("+12035550142", "bulk")
    assert [text for _, text in inner.sent] == ["reply", "bulk"]
    await paced.close()
