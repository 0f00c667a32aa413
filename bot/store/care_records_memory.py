"""`CareRecordStore` in process memory: the contract suite's twin of `RedisCareRecords`.

Documents go in and out as JSON, as they do through Redis (so a tuple comes back a list and
no caller shares a value with the store). The token-check window follows the injected
`clock` (seconds), as Redis's TTL follows its own; the long expiries that only clean up
after finished jobs (a year and more) are not modelled."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.store.care_records import (
    ERASED,
    FOR_GOOD,
    AuditEntry,
    Document,
    Job,
    due_token,
    finished_for_good,
)


def _copy(document: Any) -> Any:
    return json.loads(json.dumps(document))


@dataclass(slots=True)
class _Job:
    data: Document
    status: str
    attempts: int = 0
    last: str = ""
    due: str = ""


class _Schedule:
    """A sorted set's part: members with a score, read in (score, member) order."""

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}

    def ordered(self) -> list[str]:
        return sorted(self.scores, key=lambda m: (self.scores[m], m))


class MemoryCareRecords:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._consents: dict[str, list[Document]] = {}
        self._snapshots: dict[str, dict[str, Document]] = {}
        self._logs: dict[str, list[AuditEntry]] = {}
        self._access: list[AuditEntry] = []
        self._jobs: dict[tuple[str, str], _Job] = {}
        self._done: dict[str, dict[str, str]] = {}
        self._due = _Schedule()
        self._parked = _Schedule()
        self._dead: list[tuple[str, dict[bytes, bytes], str]] = []
        self._erasures: list[tuple[str, int, int]] = []
        self._checks: dict[str, tuple[int, float]] = {}

    # ---- consent and snapshots --------------------------------------------------------

    async def consent_versions(self, contact: str) -> list[Document]:
        return _copy(self._consents.get(contact, []))  # type: ignore[no-any-return]

    async def append_consent(self, contact: str, version: int, document: Document) -> bool:
        versions = self._consents.setdefault(contact, [])
        if len(versions) != version - 1:
            return False
        versions.append(_copy(document))
        return True

    async def newest_consents(self, contacts: Sequence[str]) -> dict[str, Document | None]:
        found = {c: self._consents.get(c) for c in contacts}
        return {c: _copy(versions[-1]) if versions else None for c, versions in found.items()}

    async def section_snapshots(self, contact: str) -> dict[str, Document]:
        return _copy(self._snapshots.get(contact, {}))  # type: ignore[no-any-return]

    async def keep_snapshot(self, contact: str, section: str, document: Document) -> bool:
        sections = self._snapshots.setdefault(contact, {})
        have = sections.get(section)
        if have is not None and int(have["version"]) >= int(document["version"]):
            return False
        sections[section] = _copy(document)
        return True

    # ---- audit ------------------------------------------------------------------------

    async def audit(self, contact: str, entry: AuditEntry) -> None:
        self._logs.setdefault(contact, []).append(entry)

    async def audit_access(self, entry: AuditEntry) -> None:
        self._access.append(entry)

    async def audit_log(self, contact: str) -> list[AuditEntry]:
        return list(self._logs.get(contact, []))

    async def access_log(self) -> list[AuditEntry]:
        return list(self._access)

    # ---- delivery jobs ----------------------------------------------------------------

    async def create_job(self, job: Job, due_ms: float) -> str:
        due = due_token(due_ms)
        if job.webhook_id in self._done.get(job.contact, {}):
            return ""
        kept = self._jobs.get((job.contact, job.webhook_id))
        if kept is not None:
            if kept.status != "withheld":
                return ""
            if kept.due and int(due) <= int(kept.due):
                due = str(int(kept.due) + 1)
            kept.status, kept.attempts, kept.due = "pending", 0, due
            return due
        self._jobs[job.contact, job.webhook_id] = _Job(
            _copy(job.sealed_fields()), "pending", due=due
        )
        return due

    async def parked_count(self) -> int:
        return len(self._parked.scores)

    async def set_due(self, job: Job, due_ms: float) -> None:
        self._change(job, due=due_token(due_ms))

    async def legacy_due(self, limit: int) -> list[tuple[str, str, float]]:
        found = []
        for member in self._due.ordered()[:limit]:
            contact, _, wid = member.partition("|")
            found.append((contact, wid, self._due.scores[member]))
        return found

    async def drop_legacy_due(self, contact: str, wid: str) -> None:
        self._due.scores.pop(f"{contact}|{wid}", None)

    def seed_legacy_due(self, member: str, due_ms: float) -> None:
        """A schedule the previous release left (tests of the move)."""
        self._due.scores[member] = due_ms

    async def load_job(self, contact: str, wid: str) -> Job | None:
        kept = self._jobs.get((contact, wid))
        if kept is None:
            done = self._done.get(contact, {}).get(wid)
            return None if done is None else finished_for_good(contact, wid, done)
        data = _copy(kept.data)
        return Job.from_sealed(wid, contact, data, kept.status, kept.attempts, kept.last, kept.due)

    async def finish_job(self, job: Job, status: str, result: str) -> Job:
        if status in FOR_GOOD and job.contact != ERASED:
            self._done.setdefault(job.contact, {})[job.webhook_id] = status
            self._jobs.pop((job.contact, job.webhook_id), None)
        else:
            self._change(job, status=status, last=result)
        return replace(job, status=status, last_result=result)

    async def reschedule_job(self, job: Job, attempts: int, due_ms: float, result: str) -> Job:
        due = due_token(due_ms)
        self._change(job, attempts=attempts, last=result, due=due)
        return replace(job, attempts=attempts, last_result=result, due=due)

    async def park_job(self, job: Job, attempts: int, now_ms: float, result: str) -> Job:
        self._change(job, status="parked", attempts=attempts, last=result)
        self._parked.scores[job.member] = now_ms
        return replace(job, status="parked", attempts=attempts, last_result=result)

    async def parked_jobs(self, limit: int = 1000) -> list[Job]:
        jobs = []
        for member in self._parked.ordered()[:limit]:
            contact, _, wid = member.partition("|")
            job = await self.load_job(contact, wid)
            if job is not None:
                jobs.append(job)
        return jobs

    async def unpark_job(self, job: Job, now_ms: float) -> None:
        self._change(job, status="pending", attempts=0, due=due_token(now_ms))

    async def drop_parked(self, job: Job) -> None:
        self._parked.scores.pop(job.member, None)

    async def forget_job(self, job: Job) -> None:
        self._jobs.pop((job.contact, job.webhook_id), None)

    async def cancel_jobs(self, contact: str) -> int:
        cancelled = 0
        for schedule in (self._parked, self._due):
            for member in [m for m in schedule.scores if m.startswith(contact + "|")]:
                del schedule.scores[member]
                cancelled += 1
        return cancelled

    def _change(self, job: Job, **fields: Any) -> None:
        kept = self._jobs.get((job.contact, job.webhook_id))
        if kept is not None:
            for name, value in fields.items():
                setattr(kept, name, value)

    # ---- set aside, erasures, token checks ---------------------------------------------

    async def bury(self, entry_id: str, fields: Mapping[bytes, bytes], error: str) -> None:
        self._dead.append((entry_id, dict(fields), error))

    async def buried(self) -> list[tuple[str, str]]:
        return [(entry_id, error) for entry_id, _fields, error in self._dead]

    async def purge_dead(self, contact: str) -> int:
        kept = [d for d in self._dead if d[1].get(b"contact") != contact.encode()]
        purged, self._dead = len(self._dead) - len(kept), kept
        return purged

    async def log_erasure(self, at: datetime, keys: int, notified: int) -> None:
        self._erasures.append((at.isoformat(), keys, notified))

    async def erasures(self) -> list[tuple[str, int, int]]:
        return list(self._erasures)

    async def count_token_check(self, address: str, window_s: int) -> tuple[int, int]:
        now = self._clock()
        count, deadline = self._checks.get(address, (0, now + window_s))
        if deadline <= now:
            count, deadline = 0, now + window_s
        self._checks[address] = (count + 1, deadline)
        return count + 1, math.ceil(deadline - now)

    async def give_back_token_check(self, address: str) -> None:
        count, deadline = self._checks.get(address, (0, math.inf))
        if deadline > self._clock():
            self._checks[address] = (count - 1, deadline)
