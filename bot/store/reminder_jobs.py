"""What the reminder scheduler keeps program-wide: APScheduler's job records and their run
times (`JobTable`, synchronous: APScheduler's own thread calls it), and the due log the
jobs append to behind a fired guard (`DueLog`). Kept in Redis by `RedisJobTable` and
`RedisDueLog` (bot/store/reminder_jobs_redis.py), in memory by their twins; all pass
tests/store/test_reminder_store_contract.py.

A job record is opaque bytes (bot/scheduling/jobstore.py encodes it); a run time is seconds
since the epoch (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Protocol

from bot.store.keys.reminders import ReminderKeys
from bot.store.leases import LeaseHandle

# A fired guard outlives any scheduler restart or redelivery.
FIRED_TTL = timedelta(days=8)
# Entries kept in the due stream; the dispatcher acks them long before this matters.
DUE_MAXLEN = 1_000_000
# Jobs per transaction: what callers hand put_many at a time, and remove_many's step.
CHUNK = 2_000

# (job id, occurrence, planned): what one fire appends, once per (job id, planned).
Fire = tuple[str, str, str]


class JobTable(Protocol):
    def record(self, job_id: str) -> bytes | None: ...

    def records(self, job_ids: Sequence[str]) -> list[bytes | None]:
        """Each job's record, None where it has none, in the order asked."""
        ...

    def due(self, until: float, limit: int) -> list[str]:
        """At most `limit` job ids whose run time is <= `until`, earliest first."""
        ...

    def first_run_time(self) -> float | None: ...

    def all_records(self) -> Mapping[str, bytes]: ...

    def add(self, job_id: str, record: bytes, run_at: float | None) -> bool:
        """Add a new job; False (and nothing written) if the id exists."""
        ...

    def replace(self, job_id: str, record: bytes, run_at: float | None) -> bool:
        """Replace an existing job (run_at None: it has no next run); False if missing."""
        ...

    def put_many(self, records: Mapping[str, bytes], run_at: Mapping[str, float]) -> None:
        """Add or replace jobs (the same ids in both) in one transaction: a reader sees a
        job's record and run time change together. Callers send at most CHUNK at a time."""
        ...

    def remove_many(self, job_ids: Sequence[str]) -> int:
        """Remove the jobs that exist, CHUNK per transaction; how many did."""
        ...

    def drop_orphans(self, job_ids: Sequence[str]) -> int:
        """Drop the run times of these jobs that have no record (atomically, so a job added
        again meanwhile stays); how many went."""
        ...

    def clear(self) -> None: ...


class DueLog(Protocol):
    async def fire(self, job_id: str, occurrence: str, planned: str) -> bool:
        """Append a due entry unless this (job, planned) fired before; True if it appended."""
        ...

    def fire_now(self, job_id: str, occurrence: str, planned: str) -> bool:
        """fire(), blocking, for the scheduler's thread."""
        ...

    def fire_many_now(self, fires: Sequence[Fire]) -> list[bool]:
        """fire_now() for a batch, in one round trip; whether each appended."""
        ...

    async def due_jobs(self) -> list[str]:
        """The job ids of the entries in the due log, oldest first (tools and tests)."""
        ...

    async def forget(self, contact: str) -> int:
        """Remove everything program-wide that names the contact: its jobs (records and run
        times), due entries, fired and sent guards. Idempotent; returns how many went."""
        ...

    async def forget_jobs(self, prefix: str) -> int:
        """Remove the jobs whose ids start with `prefix` (records and run times), their
        entries in this log's stream and their fired guards. For another kind's erasure;
        idempotent; returns how many went."""
        ...

    async def backlog(self) -> int:
        """Entries in this log's stream (its consumer trims what it has acknowledged)."""
        ...


class SchedulerStorage(Protocol):
    """What the reminder scheduler is built over (RedisReminderStorage, MemoryReminderStorage)."""

    @property
    def keys(self) -> ReminderKeys: ...

    @property
    def jobs(self) -> JobTable: ...

    @property
    def due(self) -> DueLog: ...

    def due_log(self, kind: str) -> DueLog:
        """The due log another kind of timed work fires into (a stream of its own)."""
        ...

    def lease(self, ttl: timedelta) -> LeaseHandle:
        """The lease naming the one process whose scheduler runs."""
        ...
