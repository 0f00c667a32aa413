"""The care-team records' Lua scripts (bot/store/care_records_redis.py runs them): each
touches one contact's keys, or the one program-wide schedule, so one Cluster slot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

# KEYS: job hash, done hash. ARGV: sealed data, ttl s, webhook id, due token. 1 created, 2 revived,
# 0 it already existed (or was delivered). A job withheld for want of consent is revived
# when a later consent allows it again.
CREATE_JOB = """
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'status') ~= 'withheld' then return 0 end
  redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'due', ARGV[4])
  return 2
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'data', ARGV[1], 'due', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# A job out of the schedule for good keeps only its final status, in the contact's done hash.
# KEYS: job hash, done hash. ARGV: webhook id, status, ttl s.
FINISH_FOR_GOOD = """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS: due zset. ARGV: now ms, lease-until ms, limit. Due members, now leased to the caller.
CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member) end
return due
"""


async def script_then(
    redis: Redis,
    cluster: bool,
    script: AsyncScript,
    call: tuple[list[str], list[Any]],
    rest: Callable[[Any], object],
) -> Any:
    """Run `script` with `call`'s (keys, args), then the plain commands `rest` queues on a
    pipeline; the script's answer. One round trip on one server. A Cluster's pipeline takes
    no scripts (and the schedule sits in another slot than the job), so there the script
    goes first on its own: each step is idempotent, so the order is all that matters."""
    keys, args = call
    async with redis.pipeline(transaction=False) as pipe:
        if cluster:
            answer = await script(keys=keys, args=args)
            rest(pipe)
            await pipe.execute()
            return answer
        await script(keys=keys, args=args, client=pipe)
        rest(pipe)
        return (await pipe.execute())[0]
