"""How the store's parts call Redis: bounded, and every Redis error or timeout turned into
StoreUnavailable, logged by kind without any data; and the bytes a store client must return."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.exceptions import RedisError

from bot.errors import StoreUnavailable

log = logging.getLogger("bot.store.redis_store")

# What a caller may log and go on from (or leave pending): Redis away, slow or refusing.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError, TimeoutError)


@asynccontextmanager
async def guarded(what: str, timeout_s: float) -> AsyncIterator[None]:
    """Every Redis error or timeout becomes StoreUnavailable; logged without any data."""
    try:
        async with asyncio.timeout(timeout_s):
            yield
    except TRANSIENT_ERRORS as exc:
        log.warning("redis %s failed: %s: %.200s", what, type(exc).__name__, exc)
        raise StoreUnavailable(f"redis did not answer ({what})") from exc


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    # A client built with decode_responses=True would corrupt sealed values.
    raise TypeError("RedisConversationStore needs a client with decode_responses=False")
