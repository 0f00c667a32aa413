"""One lease implementation for every "exactly one process does this" in the product: the
reminders' leader (it runs APScheduler's jobs and sends), the care-team outbox reader and
the outbox relay's sweep.

A lease is a Redis key holding its holder's token with an expiry: taken only when free (or
already ours), extended and given back only by its holder (compare, then act, in one
script), so at most one process holds it, and a dead holder's lease simply runs out.

**A lease outlives a failover.** Redis replicates asynchronously: a primary that dies right
after granting a lease can take it along, and the replica that takes over would then hand
it to a second process while the first still leads. So on a primary with replicas a lease
counts only once a replica holds it too: the script and a `WAIT 1` go down one connection
(WAIT waits for that connection's own writes), and if no replica acknowledges in time the
lease is given back and reported as not ours; the caller tries again on its next round. A
failover promotes a replica that has the lease, and with it the holder. Replicas counted
are those that could be promoted: on a cluster every replica it lists for the primary but
those it knows have failed (so a dead replica stops leases only until the cluster marks it
failed, about two node timeouts); on one server, those connected. A primary with none
grants as before. `tests/store/test_lease_failover.py` kills a primary whose replica
missed a write.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta
from enum import IntEnum
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, ResponseError, TimeoutError

from bot.store.client import is_cluster

# KEYS: lease. ARGV: token, ttl ms. Extend only our own lease.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: lease. ARGV: token, ttl ms. 2 taken (it was free), 1 extended (ours), 0 another's.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# How long a grant waits for a replica's acknowledgement before it is given back.
CONFIRM_MS = 250


class Held(IntEnum):
    BY_ANOTHER = 0
    STILL = 1
    NEWLY = 2  # taken just now: whatever a previous holder left is ours to pick up


class Lease:
    def __init__(
        self,
        redis: Redis,
        key: str,
        ttl: timedelta,
        token: str | None = None,
        *,
        confirm_ms: int = CONFIRM_MS,
    ) -> None:
        self.key = key
        self.token = token or secrets.token_hex(12)
        self._ttl_ms = int(ttl.total_seconds() * 1000)
        if self._ttl_ms < 1:
            raise ValueError("a lease must last")
        self._redis: Any = redis
        self._confirm_ms = confirm_ms
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        """Take the lease if it is free (or ours already)."""
        return await self.hold() is not Held.BY_ANOTHER

    async def renew(self) -> bool:
        """Extend the lease if it is still ours."""
        return bool(await self._granted(_RENEW))

    async def hold(self) -> Held:
        """Take the lease if free or extend it if ours, in one round trip (two when a
        replica must acknowledge it)."""
        return Held(await self._granted(_HOLD))

    async def release(self) -> None:
        """Give the lease back if it is still ours (else it is another's: leave it)."""
        await self._release(keys=[self.key], args=[self.token])

    # ---- one connection: the script, then WAIT on its own write --------------------------

    async def _granted(self, script: str) -> int:
        """The script's answer (0: not ours) once a replica, if any, holds the lease too."""
        try:
            answer = await self._on_one_connection(script)
        except (RedisConnectionError, TimeoutError, ResponseError):
            if not is_cluster(self._redis):
                raise
            # A failover (the node gone, or MOVED): redis-py's own path finds the slot's
            # new home, then once more there.
            with contextlib.suppress(RedisConnectionError, TimeoutError, ResponseError):
                await self._redis.exists(self.key)
            answer = await self._on_one_connection(script)
        if answer is None:
            await self.release()  # not on a replica: as if never granted
            return 0
        return answer

    async def _node(self) -> Any:
        """The cluster node holding the lease's slot (the slot map loaded first if need be)."""
        try:
            return self._redis.get_node_from_key(self.key)
        except RedisClusterException:  # SlotNotCovered: no map yet, or a stale one
            await self._redis.initialize()
            return self._redis.get_node_from_key(self.key)

    async def _on_one_connection(self, script: str) -> int | None:
        """Run `script` on the lease's node; None when no replica acknowledged it in time."""
        node = await self._node() if is_cluster(self._redis) else None
        pool: Any = self._redis.connection_pool if node is None else None
        conn = node.acquire_connection() if node is not None else await pool.get_connection()
        try:
            grant = ("EVAL", script, 1, self.key, self.token, self._ttl_ms)
            topology = [("CLUSTER", "MYID"), ("CLUSTER", "NODES")] if node else [("ROLE",)]
            await conn.send_packed_command(conn.pack_commands([grant, *topology]))
            answer = int(await conn.read_response())
            replies = [await conn.read_response() for _ in topology]
            if answer == 0 or not promotable_replicas(replies):
                return answer
            await conn.send_command("WAIT", 1, self._confirm_ms)
            return answer if int(await conn.read_response()) >= 1 else None
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
    """How many replicas could take over from this primary. On a cluster: every replica
    the cluster lists for it that is not known to have failed, connected now or not (one
    cut off a moment ago may still be promoted, without what it missed); on one server,
    the replicas connected (ROLE)."""
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
