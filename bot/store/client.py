"""How Safe Start builds its Redis clients: short timeouts, one quick retry, bytes out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlsplit

import redis as sync_redis
from redis.asyncio import Connection, ConnectionPool, Redis, UnixDomainSocketConnection
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode as SyncClusterNode
from redis.cluster import RedisCluster as SyncRedisCluster
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


# REDIS_URL=redis+cluster://host:port (rediss+cluster:// with TLS) names any node of a Redis
# Cluster: the client then learns the others from it. Every other URL is one server.
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme in CLUSTER_SCHEMES


def is_cluster(redis: Any) -> bool:
    """True for redis-py's cluster client (which the store is handed typed as `Redis`)."""
    return isinstance(redis, RedisCluster)


def client_for_url(url: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> Redis:
    """The plain client, or for a `redis+cluster://` URL redis-py's RedisCluster.

    The cluster client answers the same commands (routing each by its key's slot), so the
    store keeps one interface; it is typed as `Redis` here, and `is_cluster` tells the few
    places that must act differently (no pipelined script loads, no cross-slot MGET).
    """
    scheme = urlsplit(url).scheme
    if scheme in CLUSTER_SCHEMES:
        plain = CLUSTER_SCHEMES[scheme] + url[len(scheme) :]
        return cast(Redis, RedisCluster.from_url(plain, **cluster_options(timeout)))
    return Redis.from_url(url, **client_options(timeout))


async def scan_slot(
    redis: Redis, beside: str, pattern: str, batch: int = 500
) -> AsyncIterator[bytes]:
    """SCAN for keys matching `pattern`, all of which share `beside`'s hash tag: on a
    cluster only the node holding that slot is scanned (SCAN itself is per node)."""
    if isinstance(redis, RedisCluster):
        node = redis.get_node_from_key(beside)
        async for key in redis.scan_iter(match=pattern, count=batch, target_nodes=node):
            yield key
        return
    cursor: int = 0
    while True:
        cursor, found = await redis.scan(cursor, match=pattern, count=batch)
        for key in found:
            yield key if isinstance(key, bytes) else key.encode()
        if cursor == 0:
            return


def cluster_options(timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    options = client_options(timeout)
    # MOVED/ASK (a slot migrating, a failover) are followed by the client itself; a broken
    # connection is retried once, as for one server.
    options["retry"] = Retry(NoBackoff(), 1)
    return options


def describe_url(url: str) -> str:
    """scheme://host:port/db for logs: never the password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path or ''}"


def _cluster_nodes(redis: Any) -> list[tuple[str, int]]:
    """The nodes it knows (its start-up nodes until its first command maps the cluster)."""
    known = [*redis.nodes_manager.startup_nodes.values(), *redis.get_nodes()]
    return list(dict.fromkeys((node.host, node.port) for node in known))


def _cluster_timeout(redis: Any) -> float:
    return float(redis.get_connection_kwargs().get("socket_timeout") or DEFAULT_TIMEOUT_S)


def sync_cluster_client(redis: Redis) -> sync_redis.Redis:
    """A blocking cluster client to the same cluster as `redis` (APScheduler's job store)."""
    timeout = _cluster_timeout(redis)
    nodes = [SyncClusterNode(host, port) for host, port in _cluster_nodes(redis)]  # type: ignore[no-untyped-call]
    client = SyncRedisCluster(
        startup_nodes=nodes, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    return cast(sync_redis.Redis, client)


def worker_client(redis: Redis) -> Redis:
    """A client with its own pool to the same server, for background workers.

    A worker's blocking stream reads must not hold the connections that answer webhooks,
    and its commands are not part of an inbound message's round trips.
    """
    if isinstance(redis, RedisCluster):
        nodes = [ClusterNode(host, port) for host, port in _cluster_nodes(redis)]
        options = cluster_options(_cluster_timeout(redis))
        kwargs: dict[str, Any] = redis.get_connection_kwargs()
        for name in ("username", "password"):
            if kwargs.get(name):
                options[name] = kwargs[name]
        return cast(Redis, RedisCluster(startup_nodes=nodes, **options))
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
