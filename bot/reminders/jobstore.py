"""An APScheduler 3.x job store for many one-shot reminders: compact records, bulk writes,
bounded due batches.

APScheduler's RedisJobStore pickles each whole Job (~560 B), writes one job per call (two
round trips with the existence check: ~2,700 adds/s) and returns every due job in one
get_due_jobs(): 10,000 due together were one blocking pass of seconds. This store keeps the
same two keys (a hash job id -> record, a sorted set job id -> next run time as a UTC
timestamp, so erasure and tools that read them are unchanged) and differs in three ways:

* a record is compact JSON (func ref, args, run date in microseconds, grace, ...) when the
  job has a date trigger and JSON arguments, else the pickled state as RedisJobStore wrote
  it; records RedisJobStore wrote earlier (pickles) are read as they are;
* put_records() / remove_jobs() write many jobs in one MULTI per chunk (what the reminder
  planner uses), next to APScheduler's one-job add_job / update_job / remove_job;
* get_due_jobs() returns at most `batch_size` jobs, earliest first; the scheduler then finds
  a next run time in the past and comes straight back for the rest.

While the scheduler processes a batch, removals can be deferred (defer_removals) so that
the batch's jobs are fired first and leave the store together afterwards (see
bot/reminders/scheduler.py). The client is synchronous: call this from a thread, never from
the event loop.
"""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import redis as sync_redis
from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import ref_to_obj

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Jobs written per MULTI in put_records / remove_jobs.
CHUNK = 2_000

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


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (an aware datetime)."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True, slots=True)
class DateRecord:
    """A one-shot job as put_records writes it, without building an APScheduler Job."""

    job_id: str
    func_ref: str
    args: Sequence[Any]
    run_at: datetime
    grace: int | None
    coalesce: bool = True
    max_instances: int = 1

    def encode(self) -> bytes:
        micros = to_micros(self.run_at)
        record: dict[str, Any] = {
            "f": self.func_ref,
            "a": list(self.args),
            "t": micros,
            "g": self.grace,
            "c": self.coalesce,
            "m": self.max_instances,
        }
        return orjson.dumps(record)


def encode_state(state: dict[str, Any]) -> bytes:
    """A Job's __getstate__() as a record: compact JSON when it can be, else a pickle."""
    trigger = state["trigger"]
    if type(trigger) is DateTrigger and not state["kwargs"]:
        run = to_micros(trigger.run_date)
        nxt = state["next_run_time"]
        record: dict[str, Any] = {
            "f": state["func"],
            "a": list(state["args"]),
            "t": run,
            "g": state["misfire_grace_time"],
            "c": state["coalesce"],
            "m": state["max_instances"],
        }
        if nxt is None or to_micros(nxt) != run:
            record["r"] = None if nxt is None else to_micros(nxt)
        if state["name"] != state["id"]:
            record["n"] = state["name"]
        if state["executor"] != "default":
            record["x"] = state["executor"]
        try:
            return orjson.dumps(record)
        except TypeError:
            pass  # arguments JSON cannot hold: pickled below
    return pickle.dumps(state, pickle.HIGHEST_PROTOCOL)


_REFS: dict[str, Any] = {}


def decode_state(job_id: str, blob: bytes) -> dict[str, Any]:
    """The Job state a record holds (a pickle if RedisJobStore or the fallback wrote it)."""
    if blob[:1] != b"{":
        state: dict[str, Any] = pickle.loads(blob)  # noqa: S301 - our own store's records
        return state
    record = orjson.loads(blob)
    trigger = DateTrigger.__new__(DateTrigger)
    run = from_micros(record["t"])
    trigger.__setstate__({"version": 1, "run_date": run})
    nxt = record.get("r", record["t"])
    return {
        "version": 1,
        "id": job_id,
        "func": record["f"],
        "trigger": trigger,
        "executor": record.get("x", "default"),
        "args": tuple(record["a"]),
        "kwargs": {},
        "name": record.get("n", job_id),
        "misfire_grace_time": record["g"],
        "coalesce": record["c"],
        "max_instances": record["m"],
        "next_run_time": None if nxt is None else from_micros(nxt),
    }


class CompactRedisJobStore(BaseJobStore):  # type: ignore[misc]
    """See the module docstring. `client` is owned by the caller (not closed here)."""

    def __init__(
        self,
        client: sync_redis.Redis,
        *,
        jobs_key: str,
        run_times_key: str,
        batch_size: int = 100,
    ) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.redis: Any = client  # bytes replies (decode_responses=False)
        self.jobs_key = jobs_key
        self.run_times_key = run_times_key
        self.batch_size = batch_size
        self._local = threading.local()
        self._drop_orphans = client.register_script(_DROP_ORPHANS)

    # ---- records <-> jobs ----------------------------------------------------------------

    def _job(self, job_id: str, blob: bytes) -> Job:
        state = decode_state(job_id, blob)
        job = Job.__new__(Job)
        ref = state["func"]
        func = _REFS.get(ref)
        if func is None:
            func = _REFS[ref] = ref_to_obj(ref)
        job.__setstate__(state)  # resolves the reference again: cheap, cached by import
        job.func = func
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    def _jobs(self, ids: Sequence[bytes]) -> list[Job]:
        if not ids:
            return []
        blobs = self.redis.hmget(self.jobs_key, list(ids))
        jobs, broken, orphans = [], [], []
        for raw_id, blob in zip(ids, blobs, strict=True):
            job_id = raw_id.decode()
            if blob is None:
                orphans.append(job_id)
                continue
            try:
                jobs.append(self._job(job_id, blob))
            except Exception:
                self._logger.exception("Unable to restore job %r -- removing it", job_id)
                broken.append(job_id)
        if broken:
            self.remove_jobs(broken)
        if orphans:
            self._drop_orphans(keys=[self.jobs_key, self.run_times_key], args=orphans)
        return jobs

    # ---- APScheduler's interface -----------------------------------------------------------

    def lookup_job(self, job_id: str) -> Job | None:
        blob = self.redis.hget(self.jobs_key, job_id)
        return None if blob is None else self._job(job_id, blob)

    def get_due_jobs(self, now: datetime) -> list[Job]:
        """At most batch_size jobs due at `now`, earliest first."""
        ids = self.redis.zrangebyscore(
            self.run_times_key, "-inf", to_micros(now) / 1e6, start=0, num=self.batch_size
        )
        return self._jobs(ids)

    def get_next_run_time(self) -> datetime | None:
        first = self.redis.zrange(self.run_times_key, 0, 0, withscores=True)
        if not first:
            return None
        return datetime.fromtimestamp(first[0][1], UTC)

    def get_all_jobs(self) -> list[Job]:
        entries = self.redis.hgetall(self.jobs_key)
        jobs = []
        for raw_id, blob in entries.items():
            try:
                jobs.append(self._job(raw_id.decode(), blob))
            except Exception:
                self._logger.exception("Unable to restore job %r", raw_id)
        far = datetime.max.replace(tzinfo=UTC)
        jobs.sort(key=lambda job: job.next_run_time or far)
        return jobs

    def add_job(self, job: Job) -> None:
        blob = encode_state(job.__getstate__())
        if not self.redis.hsetnx(self.jobs_key, job.id, blob):
            raise ConflictingIdError(job.id)
        if job.next_run_time is not None:
            self.redis.zadd(self.run_times_key, {job.id: to_micros(job.next_run_time) / 1e6})

    def update_job(self, job: Job) -> None:
        if not self.redis.hexists(self.jobs_key, job.id):
            raise JobLookupError(job.id)
        blob = encode_state(job.__getstate__())
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.jobs_key, job.id, blob)
            if job.next_run_time is None:
                pipe.zrem(self.run_times_key, job.id)
            else:
                pipe.zadd(self.run_times_key, {job.id: to_micros(job.next_run_time) / 1e6})
            pipe.execute()

    def remove_job(self, job_id: str) -> None:
        deferred: list[str] | None = getattr(self._local, "deferred", None)
        if deferred is not None:
            deferred.append(job_id)
            return
        if not self.remove_jobs([job_id]):
            raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        self.redis.delete(self.jobs_key, self.run_times_key)

    def shutdown(self) -> None:
        return None  # the client belongs to whoever passed it in

    # ---- bulk ----------------------------------------------------------------------------

    def put_records(self, records: Sequence[DateRecord]) -> None:
        """Add or replace one-shot jobs, CHUNK per MULTI (a reader sees a job's record and
        run time change together)."""
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            blobs = {r.job_id: r.encode() for r in chunk}
            times = {r.job_id: to_micros(r.run_at) / 1e6 for r in chunk}
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.jobs_key, mapping=blobs)
                pipe.zadd(self.run_times_key, times)
                pipe.execute()
        if records:
            self._logger.info('Added jobs (%d) to job store "%s"', len(records), self._alias)

    def remove_jobs(self, job_ids: Iterable[str]) -> int:
        """Remove jobs that exist; returns how many did."""
        ids = list(job_ids)
        removed = 0
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self.jobs_key, *chunk)
                pipe.zrem(self.run_times_key, *chunk)
                gone, _ = pipe.execute()
            removed += int(gone)
        return removed

    @contextmanager
    def defer_removals(self) -> Iterator[list[str]]:
        """In this thread, remove_job() only collects ids (into the yielded list) until the
        block ends; the caller removes them (remove_jobs) when it sees fit."""
        collected: list[str] = []
        self._local.deferred = collected
        try:
            yield collected
        finally:
            self._local.deferred = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ({self.jobs_key})>"
