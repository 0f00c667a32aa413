"""The store's hot script calls on a Redis Cluster: HotConnections per node.

redis-py's cluster client spends ~100 us of CPU per command (slot lookup, policies, retry
helper, response callbacks) against ~20 us for the store's hot calls on one server. Here
each script goes straight to the node that holds its first key's slot (the client's own
slot map), on that node's connections, through the same HotConnections. A reply that is not
an answer from the right node — MOVED/ASK (a slot migrating, a failover), TRYAGAIN,
CLUSTERDOWN — or a broken connection hands the call to redis-py's own path, which refreshes
the slot map, follows redirects and retries as it does for every other command.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import AskError, ClusterDownError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.store.hot_calls import HotConnections

# Not an answer from the slot's node: redis-py's path deals with these.
_REDIRECTS = (AskError, TryAgainError, ClusterDownError)  # MovedError is an AskError


class _NodePool:
    """A cluster node's connections, as HotConnections asks a pool for them."""

    def __init__(self, node: ClusterNode) -> None:
        self._node = node

    async def get_connection(self) -> AbstractConnection:
        return self._node.acquire_connection()

    async def release(self, conn: AbstractConnection) -> None:
        self._node.release(conn)  # type: ignore[arg-type]


class ClusterHotCalls:
    """EVALSHA of the store's scripts on the node of their keys' slot."""

    def __init__(self, redis: Redis, keep: int = 64) -> None:
        """`keep`: connections kept per node between calls (0: each goes back to the node's
        own free list at once, for calls that are not on every text)."""
        self._redis: Any = redis
        self._keep = keep
        self._nodes: dict[str, HotConnections] = {}

    async def evalsha(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        try:
            node = self._redis.get_node_from_key(keys[0])
        except Exception:  # the slot map is not loaded yet: redis-py loads it
            return await script(keys=keys, args=args)
        hot = self._nodes.get(node.name)
        if hot is None:
            pool: Any = _NodePool(node)
            hot = self._nodes[node.name] = HotConnections(pool, keep=self._keep)
        try:
            return await hot.evalsha(script, keys, args)
        except _REDIRECTS:
            pass
        except RedisConnectionError:
            # The node went away (a failover?): forget its connections; redis-py's path
            # finds the slot's new home. A script cut off mid-call is the caller's to
            # settle, as on one server.
            self._nodes.pop(node.name, None)
            await hot.close(stale=True)
            raise
        return await script(keys=keys, args=args)

    async def close(self) -> None:
        nodes, self._nodes = self._nodes, {}
        for hot in nodes.values():
            await hot.close()
