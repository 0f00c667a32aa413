"""`JobTable` and `DueLog` in process memory: the contract suite's twins of `RedisJobTable`
and `RedisDueLog`. Fired guards expire on the injected `clock` (seconds); the sent guards
`forget` drops are the records twin's (they live beside the fired ones in Redis)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.store.expiring import Expiring
from bot.store.keys.reminders import job_prefix
from bot.store.reminder_jobs import DUE_MAXLEN, FIRED_TTL, Fire
from bot.store.reminder_records_memory import MemoryReminderRecords
from bot.store.stream_memory import MemoryStream


class MemoryJobTable:
    def __init__(self) -> None:
        self._records: dict[str, bytes] = {}
        self._run_times: dict[str, float] = {}

    def record(self, job_id: str) -> bytes | None:
        return self._records.get(job_id)

    def records(self, job_ids: Sequence[str]) -> list[bytes | None]:
        return [self._records.get(job_id) for job_id in job_ids]

    def due(self, until: float, limit: int) -> list[str]:
        # Earliest first; equal times by id, as a sorted set orders its members.
        due = sorted((at, job_id) for job_id, at in self._run_times.items() if at <= until)
        return [job_id for _, job_id in due[:limit]]

    def first_run_time(self) -> float | None:
        return min(self._run_times.values(), default=None)

    def all_records(self) -> Mapping[str, bytes]:
        return dict(self._records)

    def add(self, job_id: str, record: bytes, run_at: float | None) -> bool:
        if job_id in self._records:
            return False
        self._records[job_id] = record
        if run_at is not None:
            self._run_times[job_id] = run_at
        return True

    def replace(self, job_id: str, record: bytes, run_at: float | None) -> bool:
        if job_id not in self._records:
            return False
        self._records[job_id] = record
        if run_at is None:
            self._run_times.pop(job_id, None)
        else:
            self._run_times[job_id] = run_at
        return True

    def put_many(self, records: Mapping[str, bytes], run_at: Mapping[str, float]) -> None:
        self._records.update(records)
        self._run_times.update(run_at)

    def remove_many(self, job_ids: Sequence[str]) -> int:
        removed = 0
        for job_id in set(job_ids):
            removed += self._records.pop(job_id, None) is not None
            self._run_times.pop(job_id, None)
        return removed

    def drop_orphans(self, job_ids: Sequence[str]) -> int:
        orphans = {j for j in job_ids if j not in self._records and j in self._run_times}
        for job_id in orphans:
            del self._run_times[job_id]
        return len(orphans)

    def clear(self) -> None:
        self._records.clear()
        self._run_times.clear()

    def forget(self, prefix: str) -> int:
        """Remove every job whose id starts with `prefix`; how many records went."""
        return self.remove_many(
            [j for j in {*self._records, *self._run_times} if j.startswith(prefix)]
        )


class MemoryDueLog:
    """Due entries go to `stream` (a MemoryStream: the dispatcher's group reads it as it
    reads the Redis due stream), with the fields RedisDueLog gives them."""

    def __init__(
        self,
        clock: Callable[[], float],
        jobs: MemoryJobTable,
        records: MemoryReminderRecords,
        stream: MemoryStream | None = None,
    ) -> None:
        self._fired: Expiring[bool] = Expiring(clock)
        self.stream = stream or MemoryStream(clock)
        self._jobs = jobs
        self._records = records

    async def fire(self, job_id: str, occurrence: str, planned: str) -> bool:
        return self.fire_now(job_id, occurrence, planned)

    def fire_now(self, job_id: str, occurrence: str, planned: str) -> bool:
        guard = f"{job_id}\0{planned}"
        if self._fired.get(guard):
            return False
        self._fired.put(guard, True, FIRED_TTL.total_seconds())
        fields = {"job": job_id, "occurrence": occurrence, "planned": planned}
        self.stream.add(fields, maxlen=DUE_MAXLEN)
        return True

    def fire_many_now(self, fires: Sequence[Fire]) -> list[bool]:
        return [self.fire_now(*one) for one in fires]

    async def due_jobs(self) -> list[str]:
        return [fields[b"job"].decode() for _, fields in self.stream.range()]

    async def forget(self, contact: str) -> int:
        return await self.forget_jobs(job_prefix(contact))

    async def backlog(self) -> int:
        return len(self.stream.entries)

    async def forget_jobs(self, prefix: str) -> int:
        removed = self._jobs.forget(prefix)
        wanted = prefix.encode()
        doomed = [i for i, fields in self.stream.range() if fields[b"job"].startswith(wanted)]
        removed += self.stream.delete(doomed)
        guard_sets: tuple[Expiring[Any], ...] = (self._fired, self._records.claims)
        for guards in guard_sets:
            live = guards.keys()  # the ones not yet expired
            doomed = [guard for guard in live if guard.startswith(prefix)]
            for guard in doomed:
                guards.pop(guard)
            removed += len(doomed)
        return removed
