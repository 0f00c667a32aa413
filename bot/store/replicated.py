"""A write that counts only once a replica that could be promoted holds it too.

Redis replicates asynchronously: a primary that dies right after a write can take the write
along, and the replica promoted in its place never saw it. For the few writes that decide
"who does this" (a lease, the claim on a reminder's text), that is a second holder, or a
second text. `replicated(...)` runs one command on the node holding its key's slot and, if
it wrote (a truthy answer) and the node has replicas that could take over, sends `WAIT 1`
down the same connection (WAIT waits for that connection's own writes). It reports whether
a replica acknowledged in time; the caller gives back what was not.

Replicas counted are those that could be promoted: on a cluster every replica it lists for
the primary but those it knows have failed (a dead replica holds such writes up only until
the cluster marks it failed, about two node timeouts); on one server, those connected. A
primary with none has nothing to fail over to: its writes count at once.
"""

from __future__ import annotations

import contextlib
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, ResponseError, TimeoutError

from bot.store.client import is_cluster

# How long a write waits for a replica's acknowledgement before it is given back.
CONFIRM_MS = 250


async def replicated(
    redis: Any, key: str, command: tuple[Any, ...], confirm_ms: int = CONFIRM_MS
) -> tuple[Any, bool]:
    """(the command's answer, whether a replica holds it or none could take over)."""
    try:
        return await _on_one_connection(redis, key, command, confirm_ms)
    except (RedisConnectionError, TimeoutError, ResponseError):
        if not is_cluster(redis):
            raise
        # A failover (the node gone, or MOVED): redis-py's own path finds the slot's new
        # home, then once more there.
        with contextlib.suppress(RedisConnectionError, TimeoutError, ResponseError):
            await redis.exists(key)
        return await _on_one_connection(redis, key, command, confirm_ms)


async def _node(redis: Any, key: str) -> Any:
    """The cluster node holding the key's slot (the slot map loaded first if need be)."""
    try:
        return redis.get_node_from_key(key)
    except RedisClusterException:  # SlotNotCovered: no map yet, or a stale one
        await redis.initialize()
        return redis.get_node_from_key(key)


async def _on_one_connection(
    redis: Any, key: str, command: tuple[Any, ...], confirm_ms: int
) -> tuple[Any, bool]:
    node = await _node(redis, key) if is_cluster(redis) else None
    pool: Any = redis.connection_pool if node is None else None
    conn = node.acquire_connection() if node is not None else await pool.get_connection()
    try:
        topology = [("CLUSTER", "MYID"), ("CLUSTER", "NODES")] if node else [("ROLE",)]
        await conn.send_packed_command(conn.pack_commands([command, *topology]))
        answer = await conn.read_response()
        replies = [await conn.read_response() for _ in topology]
        if not answer or not promotable_replicas(replies):
            return answer, True
        await conn.send_command("WAIT", 1, confirm_ms)
        return answer, int(await conn.read_response()) >= 1
    except BaseException:
        await conn.disconnect()  # a reply may be left unread on it
        raise
    finally:
        if node is not None:
            node.release(conn)
        else:
            await pool.release(conn)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def promotable_replicas(replies: list[Any]) -> int:
    """How many replicas could take over from this primary, from ROLE's reply (one
    server: those connected) or CLUSTER MYID's and CLUSTER NODES' (a cluster: every replica
    listed for it that is not known to have failed, connected now or not, since one cut
    off a moment ago may still be promoted, without what it missed)."""
    if len(replies) == 1:
        role = replies[0]
        return len(role[2]) if _text(role[0]) == "master" else 0
    me, nodes = _text(replies[0]).strip(), _text(replies[1])
    count = 0
    for line in nodes.splitlines():
        fields = line.split()
        flags = fields[2].split(",") if len(fields) > 3 else []
        if "slave" in flags and "fail" not in flags and fields[3] == me:
            count += 1
    return count
