"""An APScheduler 3.x job store for many one-shot jobs (reminders): compact records, bulk writes,
bounded due batches. Its records live in a `JobTable` (bot/store/reminder_jobs.py: Redis, or
its memory twin); this module makes them Jobs and back.

APScheduler's RedisJobStore pickles each whole Job (~560 B), writes one job per call (two
round trips with the existence check: ~2,700 adds/s) and returns every due job in one
get_due_jobs(): 10,000 due together were one blocking pass of seconds. This store keeps the
same two keys (a hash job id -> record, a sorted set job id -> next run time as a UTC
timestamp, so erasure and tools that read them are unchanged) and differs in three ways:

* a record is compact JSON (func ref, args, run date in microseconds, grace, ...) when the
  job has a date trigger and JSON arguments, else the pickled state as RedisJobStore wrote
  it; records RedisJobStore wrote earlier (pickles) are read as they are;
* put_records() / remove_jobs() write many jobs in one transaction per chunk (what the
  reminder planner uses), next to APScheduler's one-job add_job / update_job / remove_job;
* get_due_jobs() returns at most `batch_size` jobs, earliest first; the scheduler then finds
  a next run time in the past and comes straight back for the rest.

While the scheduler processes a batch, removals can be deferred (defer_removals) so that
the batch's jobs are fired first and leave the store together afterwards (see
bot/scheduling/firing.py). The table is synchronous: call this from a thread, never from
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
from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import ref_to_obj

from bot.store.reminder_jobs import CHUNK, JobTable

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


class CompactJobStore(BaseJobStore):  # type: ignore[misc]
    """See the module docstring. `table` is owned by the caller (not closed here)."""

    def __init__(self, table: JobTable, *, batch_size: int = 100) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.table = table
        self.batch_size = batch_size
        self._local = threading.local()

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

    def _jobs(self, ids: Sequence[str]) -> list[Job]:
        if not ids:
            return []
        blobs = self.table.records(ids)
        jobs, broken, orphans = [], [], []
        for job_id, blob in zip(ids, blobs, strict=True):
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
            self.table.drop_orphans(orphans)
        return jobs

    # ---- APScheduler's interface -----------------------------------------------------------

    def lookup_job(self, job_id: str) -> Job | None:
        blob = self.table.record(job_id)
        return None if blob is None else self._job(job_id, blob)

    def get_due_jobs(self, now: datetime) -> list[Job]:
        """At most batch_size jobs due at `now`, earliest first."""
        return self._jobs(self.table.due(to_micros(now) / 1e6, self.batch_size))

    def get_next_run_time(self) -> datetime | None:
        first = self.table.first_run_time()
        return None if first is None else datetime.fromtimestamp(first, UTC)

    def get_all_jobs(self) -> list[Job]:
        jobs = []
        for job_id, blob in self.table.all_records().items():
            try:
                jobs.append(self._job(job_id, blob))
            except Exception:
                self._logger.exception("Unable to restore job %r", job_id)
        far = datetime.max.replace(tzinfo=UTC)
        jobs.sort(key=lambda job: job.next_run_time or far)
        return jobs

    def add_job(self, job: Job) -> None:
        blob = encode_state(job.__getstate__())
        if not self.table.add(job.id, blob, _seconds(job.next_run_time)):
            raise ConflictingIdError(job.id)

    def update_job(self, job: Job) -> None:
        blob = encode_state(job.__getstate__())
        if not self.table.replace(job.id, blob, _seconds(job.next_run_time)):
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        deferred: list[str] | None = getattr(self._local, "deferred", None)
        if deferred is not None:
            deferred.append(job_id)
            return
        if not self.remove_jobs([job_id]):
            raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        self.table.clear()

    def shutdown(self) -> None:
        return None  # the table belongs to whoever passed it in

    # ---- bulk ----------------------------------------------------------------------------

    def put_records(self, records: Sequence[DateRecord]) -> None:
        """Add or replace one-shot jobs, CHUNK per transaction (a reader sees a job's record
        and run time change together)."""
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            blobs = {r.job_id: r.encode() for r in chunk}
            times = {r.job_id: to_micros(r.run_at) / 1e6 for r in chunk}
            self.table.put_many(blobs, times)
        if records:
            self._logger.info('Added jobs (%d) to job store "%s"', len(records), self._alias)

    def remove_jobs(self, job_ids: Iterable[str]) -> int:
        """Remove jobs that exist; returns how many did."""
        return self.table.remove_many(list(job_ids))

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
        return f"<{type(self).__name__} ({type(self.table).__name__})>"


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else to_micros(moment) / 1e6
