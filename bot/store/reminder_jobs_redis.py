"""`JobTable` and `DueLog` in Redis, all under the {rem} tag (one slot on a cluster).

The job table keeps APScheduler's RedisJobStore layout (a hash job id -> record, a sorted
set job id -> run time), so erasure and tools that read them are unchanged; its client is
synchronous (APScheduler's thread). The due log is a stream the dispatcher reads through
its consumer group (bot/store/stream_group.py), each entry behind a SET NX fired guard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import redis as sync_redis
from redis.asyncio import Redis

from bot.store.client import scan_slot
from bot.store.keys.reminders import ReminderKeys, ids_match, job_prefix
from bot.store.reminder_jobs import CHUNK, DUE_MAXLEN, FIRED_TTL, Fire

# KEYS: jobs hash, run times. ARGV: job ids. Drops run-time members with no record (a
# record removed between the two reads); atomically, so a job re-added meanwhile stays.
_DROP_ORPHANS = """
local dropped = 0
for _, id in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], id) == 0 then
    dropped = dropped + redis.call('ZREM', KEYS[2], id)
  end
end
return dropped
"""

# KEYS: fired guard, due stream. ARGV: guard ttl s, maxlen, job, occurrence, planned.
_FIRE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*',
                    'job', ARGV[3], 'occurrence', ARGV[4], 'planned', ARGV[5])
end
return false
"""
# _FIRE for many in one call. KEYS: fired guards, then the due stream. ARGV: guard ttl s,
# maxlen, then (job, occurrence, planned) per guard. One script, not a pipeline of _FIRE:
# a cluster client refuses scripts in a pipeline, and every key here is in the {rem} slot.
_FIRE_MANY = """
local due = KEYS[#KEYS]
local added = {}
for i = 1, #KEYS - 1 do
  local at = 3 * i
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', due, 'MAXLEN', '~', ARGV[2], '*',
               'job', ARGV[at], 'occurrence', ARGV[at + 1], 'planned', ARGV[at + 2])
    added[i] = 1
  else
    added[i] = 0
  end
end
return added
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisJobTable:
    """`client` is owned by the caller (not closed here); bytes replies."""

    def __init__(self, client: sync_redis.Redis, keys: ReminderKeys) -> None:
        self.redis: Any = client
        self.jobs_key = keys.jobs
        self.run_times_key = keys.run_times
        self._drop_orphans = client.register_script(_DROP_ORPHANS)

    def record(self, job_id: str) -> bytes | None:
        return cast(bytes | None, self.redis.hget(self.jobs_key, job_id))

    def records(self, job_ids: Sequence[str]) -> list[bytes | None]:
        if not job_ids:
            return []
        return cast(list[bytes | None], self.redis.hmget(self.jobs_key, list(job_ids)))

    def due(self, until: float, limit: int) -> list[str]:
        ids = self.redis.zrangebyscore(self.run_times_key, "-inf", until, start=0, num=limit)
        return [raw.decode() for raw in ids]

    def first_run_time(self) -> float | None:
        first = self.redis.zrange(self.run_times_key, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    def all_records(self) -> Mapping[str, bytes]:
        return {raw.decode(): blob for raw, blob in self.redis.hgetall(self.jobs_key).items()}

    def add(self, job_id: str, record: bytes, run_at: float | None) -> bool:
        if not self.redis.hsetnx(self.jobs_key, job_id, record):
            return False
        if run_at is not None:
            self.redis.zadd(self.run_times_key, {job_id: run_at})
        return True

    def replace(self, job_id: str, record: bytes, run_at: float | None) -> bool:
        if not self.redis.hexists(self.jobs_key, job_id):
            return False
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.jobs_key, job_id, record)
            if run_at is None:
                pipe.zrem(self.run_times_key, job_id)
            else:
                pipe.zadd(self.run_times_key, {job_id: run_at})
            pipe.execute()
        return True

    def put_many(self, records: Mapping[str, bytes], run_at: Mapping[str, float]) -> None:
        if not records:
            return
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.jobs_key, mapping=records)
            pipe.zadd(self.run_times_key, run_at)
            pipe.execute()

    def remove_many(self, job_ids: Sequence[str]) -> int:
        removed = 0
        for start in range(0, len(job_ids), CHUNK):
            chunk = job_ids[start : start + CHUNK]
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self.jobs_key, *chunk)
                pipe.zrem(self.run_times_key, *chunk)
                gone, _ = pipe.execute()
            removed += int(gone)
        return removed

    def drop_orphans(self, job_ids: Sequence[str]) -> int:
        if not job_ids:
            return 0
        keys = [self.jobs_key, self.run_times_key]
        return int(self._drop_orphans(keys=keys, args=list(job_ids)))

    def clear(self) -> None:
        self.redis.delete(self.jobs_key, self.run_times_key)


class RedisDueLog:
    """Async callers use `redis`; the scheduler's thread the synchronous `sync_client`.
    `stream`: the due stream written (keys.due, the reminders'; another kind's keys.due_of).
    `forget` is the reminders' (it finds a contact's entries by their reminder job ids)."""

    def __init__(
        self,
        redis: Redis,
        keys: ReminderKeys,
        sync_client: sync_redis.Redis | None = None,
        *,
        stream: str | None = None,
    ) -> None:
        self._redis = redis
        self.keys = keys
        self.stream = keys.due if stream is None else stream
        self._script = redis.register_script(_FIRE)
        self._sync_script = None if sync_client is None else sync_client.register_script(_FIRE)
        self._sync_many = None if sync_client is None else sync_client.register_script(_FIRE_MANY)
        self._ttl_s = int(FIRED_TTL.total_seconds())

    def _keys_args(
        self, job_id: str, occurrence: str, planned: str
    ) -> tuple[list[str], list[str | int]]:
        keys = [self.keys.fired(job_id, planned), self.stream]
        return keys, [self._ttl_s, DUE_MAXLEN, job_id, occurrence, planned]

    async def fire(self, job_id: str, occurrence: str, planned: str) -> bool:
        keys, args = self._keys_args(job_id, occurrence, planned)
        return await self._script(keys=keys, args=args) is not None

    def fire_now(self, job_id: str, occurrence: str, planned: str) -> bool:
        if self._sync_script is None:
            raise RuntimeError("this due log has no synchronous client")
        keys, args = self._keys_args(job_id, occurrence, planned)
        return self._sync_script(keys=keys, args=args) is not None

    def fire_many_now(self, fires: Sequence[Fire]) -> list[bool]:
        if self._sync_many is None:
            raise RuntimeError("this due log has no synchronous client")
        if not fires:
            return []
        keys: list[str] = [self.keys.fired(job_id, planned) for job_id, _, planned in fires]
        keys.append(self.stream)
        args: list[str | int] = [self._ttl_s, DUE_MAXLEN]
        for fire in fires:
            args.extend(fire)
        return [bool(added) for added in self._sync_many(keys=keys, args=args)]

    async def due_jobs(self) -> list[str]:
        entries = cast(list[Any], await self._redis.xrange(self.stream))
        return [_text(fields.get(b"job", b"")) for _, fields in entries]

    async def forget(self, contact: str) -> int:
        # A SCAN of each structure: for erasure only.
        removed = await self._remove_matching_jobs(self.keys.job_match(contact))
        removed += await self._forget_due(job_prefix(contact))
        for pattern in self.keys.guards_match(contact):
            removed += await self._delete_matching(pattern)
        return removed

    async def forget_jobs(self, prefix: str) -> int:
        removed = await self._remove_matching_jobs(ids_match(prefix))
        removed += await self._forget_due(prefix)
        return removed + await self._delete_matching(self.keys.fired_match(prefix))

    async def _remove_matching_jobs(self, match: str) -> int:
        """Remove the jobs whose ids match a MATCH pattern (records and run times)."""
        jobs = {_text(f) async for f in self._redis.hscan_iter(self.keys.jobs, match=match)}
        async for member, _ in self._redis.zscan_iter(self.keys.run_times, match=match):
            jobs.add(_text(member))
        if not jobs:
            return 0
        # What RedisJobTable.remove_many does, in the same MULTI; the leader's scheduler
        # keeps no copy (it reads the table on each wake-up).
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.jobs, *jobs)
            pipe.zrem(self.keys.run_times, *jobs)
            removed, _ = await pipe.execute()
        return int(removed)

    async def backlog(self) -> int:
        return int(await self._redis.xlen(self.stream))

    async def _forget_due(self, prefix: str, batch: int = 1000) -> int:
        """XDEL the entries of jobs starting with `prefix` from this log's stream (its
        consumers' pending lists drop deleted entries on their next XAUTOCLAIM)."""
        removed, start = 0, "-"
        while True:
            entries = cast(
                list[Any], await self._redis.xrange(self.stream, min=start, max="+", count=batch)
            )
            mine = [i for i, f in entries if _text(f.get(b"job", b"")).startswith(prefix)]
            if mine:
                removed += int(await self._redis.xdel(self.stream, *mine))
            if len(entries) < batch:
                return removed
            start = "(" + _text(entries[-1][0])

    async def _delete_matching(self, pattern: str, batch: int = 500) -> int:
        """UNLINK every key matching a MATCH pattern in the {rem} slot (a SCAN of that one
        node on a cluster)."""
        found = [key async for key in scan_slot(self._redis, self.keys.due, pattern, batch)]
        deleted = 0
        for start in range(0, len(found), batch):
            deleted += int(await self._redis.unlink(*found[start : start + batch]))
        return deleted
