"""Wait on a condition, bounded, instead of sleeping a fixed time. The bound is measured on
the event loop's monotonic clock: no test reads the date or the time of day."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

POLL_S = 0.005


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Return as soon as `check()` is true; fail after `timeout` seconds of waiting."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(POLL_S)
