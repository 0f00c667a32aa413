"""Background loops (the scheduler's lease loop, the reminders' intake and dispatch, the
care-team worker): running them through Redis trouble, stopping them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.store.redis_calls import TRANSIENT_ERRORS

log = logging.getLogger(__name__)


def being_cancelled() -> bool:
    """True inside a task being cancelled, even where a library turned the cancel into an error."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def stop_if_cancelled() -> None:
    """Raise the cancellation a library swallowed. redis-py can finish a command whose task was
    cancelled mid-flight and return normally (a cancel landing in XGROUP CREATE right after
    start-up, every time): the cancel stays requested on the task, so honour it here instead
    of starting a blocking read that keeps shutdown waiting for the read's whole timeout."""
    if being_cancelled():
        raise asyncio.CancelledError


async def finish(task: asyncio.Task[None], timeout: float = 3.0) -> None:
    """Cancel a worker loop and wait for it, cancelling again if needed: redis-py 8.1 on
    Python 3.11 now and then loses a cancellation that lands in a blocking XREADGROUP (seen
    about 1 in 40 in a loop), which would hang shutdown. The loops also stop on a flag."""
    for _ in range(3):
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=timeout / 3)
        if done:
            await asyncio.gather(task, return_exceptions=True)
            return
    log.warning("background task did not stop", extra={"task": task.get_name()})


async def keep_stepping(
    step: Callable[[], Awaitable[int]], running: Callable[[], bool], what: str
) -> None:
    """Call `step` while `running()`; a Redis or network error or a timeout is logged and
    retried after a second, never fatal (the stream keeps what was not acknowledged)."""
    while running():
        stop_if_cancelled()
        try:
            await step()
        except TRANSIENT_ERRORS as exc:
            stop_if_cancelled()  # a cancel redis-py turned into a connection error
            log.warning("%s round failed: %s", what, type(exc).__name__)
            await asyncio.sleep(1.0)
