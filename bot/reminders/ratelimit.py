"""A token bucket per sender that serves replies to parents before bulk reminders."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from enum import IntEnum

from bot.channels.outbound import Sender


class Priority(IntEnum):
    """Lower goes first: a parent waiting on an answer beats a reminder batch."""

    REPLY = 0
    BULK = 1


class TokenBucket:
    """`rate` texts per second, bursts up to `burst`; waiters served by (priority, arrival).

    Twilio queues (and past its queue, rejects with 429 / 20429) what a sender sends faster
    than its number allows; pacing here keeps replies from waiting behind a reminder batch.
    `clock` and `sleep` are injectable so tests run a fake clock.
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._stamp = clock()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, priority: Priority = Priority.BULK) -> None:
        self._refill()
        if not self._waiters and self._tokens >= 1:
            self._tokens -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (int(priority), next(self._order), future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._serve())
        await future

    async def _serve(self) -> None:
        while self._waiters:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if future.cancelled():
                continue
            self._tokens -= 1
            future.set_result(None)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)


class PacedSender:
    """A Sender paced by a bucket. `send` is a reply (first in line); `send_bulk` waits."""

    def __init__(self, sender: Sender, bucket: TokenBucket) -> None:
        self.inner = sender
        self.bucket = bucket

    async def send(self, address: str, text: str) -> str:
        await self.bucket.acquire(Priority.REPLY)
        return await self.inner.send(address, text)

    async def send_bulk(self, address: str, text: str) -> str:
        await self.bucket.acquire(Priority.BULK)
        return await self.inner.send(address, text)

    async def close(self) -> None:
        await self.bucket.close()
