"""Stopping the reminder loops: a cancel that a library swallows still stops them before the
next blocking read (redis-py can finish a command whose task was cancelled mid-flight)."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.scheduling.loops import keep_stepping

pytestmark = pytest.mark.anyio

BOUND_S = 10  # a hang guard, not a speed figure


async def stopped_after_one_round(first_round_ends: type[BaseException] | None) -> int:
    """Run keep_stepping on a step whose first round swallows the cancel (returning normally,
    or raising a connection error) and whose second round would block for ever."""
    rounds = 0
    started = asyncio.Event()
    never = asyncio.Event()

    async def step() -> int:
        nonlocal rounds
        rounds += 1
        if rounds > 1:
            await never.wait()  # the blocking read a lost cancel would wait on
        started.set()
        try:
            await never.wait()
        except asyncio.CancelledError:
            if first_round_ends is not None:
                raise first_round_ends from None
        return 0

    task = asyncio.create_task(keep_stepping(step, lambda: True, "test"))
    await started.wait()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=BOUND_S)
    assert done == {task}, "the loop kept going after its cancel was swallowed"
    assert task.cancelled()
    return rounds


async def test_a_swallowed_cancel_stops_the_loop_before_the_next_round() -> None:
    assert await stopped_after_one_round(None) == 1


async def test_a_cancel_turned_into_a_connection_error_stops_the_loop() -> None:
    assert await stopped_after_one_round(RedisConnectionError) == 1
