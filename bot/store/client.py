"""How Safe Start builds its Redis clients: short timeouts, one quick retry, bytes out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Connection, ConnectionPool, Redis, UnixDomainSocketConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from bot.errors import StoreError

log = logging.getLogger(__name__)

# A dead Redis must fail a webhook within about a second, not after redis-py's default
# ten retries with backoff. One immediate retry on a broken connection covers a pooled
# connection left stale by a Redis restart; timeouts are not retried (the command may
# have run, and the store's scripts decide what a repeat means).
DEFAULT_TIMEOUT_S = 1.0


def client_options(timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        # The store keeps sealed bytes; decoding would corrupt them.
        "decode_responses": False,
    }


def client_for_url(url: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> Redis:
    return Redis.from_url(url, **client_options(timeout))


def describe_url(url: str) -> str:
    """scheme://host:port/db for logs: never the password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path or ''}"


def worker_client(redis: Redis) -> Redis:
    """A client with its own pool to the same server, for background workers.

    A worker's blocking stream reads must not hold the connections that answer webhooks,
    and its commands are not part of an inbound message's round trips.
    """
    kwargs = dict(redis.connection_pool.connection_kwargs)
    kwargs.pop("counter", None)  # the round-trip counting client's extra argument
    connection_class = UnixDomainSocketConnection if "path" in kwargs else Connection
    pool = ConnectionPool(connection_class=connection_class, **kwargs)
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both


# Background workers set up (consumer groups) with this backoff while Redis is away.
SETUP_FIRST_DELAY_S = 0.1
SETUP_MAX_DELAY_S = 5.0


async def until_redis_answers(
    setup: Callable[[], Awaitable[None]],
    what: str,
    *,
    first_delay: float = SETUP_FIRST_DELAY_S,
    max_delay: float = SETUP_MAX_DELAY_S,
) -> None:
    """Run `setup`, retrying with doubling waits while Redis does not answer.

    The app starts without Redis (/healthz says 503); its workers wait here instead of
    dying, and start work once Redis is back. Cancellation stops the wait.
    """
    delay = first_delay
    while True:
        try:
            await setup()
            return
        except (RedisError, OSError, StoreError) as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling() > 0:
                # redis-py can turn a cancel into a connection error: still a cancel.
                raise asyncio.CancelledError from exc
            log.warning(
                "%s waiting for Redis: %s; next try in %.1f s",
                what,
                type(exc).__name__,
                delay,
                extra={"event": "waiting_for_redis"},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)
