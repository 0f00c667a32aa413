"""What the care team needs from storage: each parent's consent versions, section snapshots
and disclosure log; delivery jobs and their schedule; set-aside outbox entries; the program's
logs of reads and erasures. Kept by `RedisCareRecords` and its memory twin
`MemoryCareRecords`; both pass tests/store/test_care_records_contract.py.

The store keeps plain documents: a consent version or a section snapshot is the JSON its
owner (bot/careteam/) makes of it; a disclosure-log line and a job are the records below.
Times are the caller's (`due_ms`, `now_ms`: milliseconds); the schedule orders by them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.store.leases import LeaseHandle
from bot.store.limits import Limits
from bot.store.streams import StreamGroup

# Where plan.deleted notices live: not a contact (no "{c:" prefix), one Cluster slot.
ERASED = "{erased}"
# Final statuses that need nothing more of the job (a withheld one may be revived).
FOR_GOOD = frozenset({"delivered", "superseded"})
Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the disclosure log: who, what (section and version), when, result."""

    at: datetime
    actor: str
    organization: str
    action: str  # deliver | withhold | supersede | park | retry | read | deny | stop
    what: str  # "recovery v2", "plan.crisis", "plan.json: basic_needs v1, health v3"
    result: str  # "200", "503", "ConnectError", "no consent", ...
    webhook_id: str | None = None
    attempt: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "organization": self.organization,
            "action": self.action,
            "what": self.what,
            "result": self.result,
            "webhook_id": self.webhook_id,
            "attempt": self.attempt,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditEntry:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"])})


@dataclass(frozen=True, slots=True)
class Job:
    """One delivery to one endpoint; its webhook id is stable across every retry."""

    webhook_id: str
    contact: str
    kind: str  # a webhook type (directory.EVENT_TYPES, or plan.deleted)
    endpoint: str
    created_at: float
    section: str | None = None
    version: int | None = None
    body: Mapping[str, Any] | None = None  # sections build theirs at send; the rest carry it
    step: str | None = None  # needs: the answer that shows it (a private one needs its own yes)
    status: str = "pending"
    attempts: int = 0
    last_result: str = ""
    # The planned time of the job's current schedule (due_token): a due entry carrying
    # another planned time is stale, and its worker drops it.
    due: str = ""

    @property
    def member(self) -> str:
        return f"{self.contact}|{self.webhook_id}"

    def sealed_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "endpoint": self.endpoint,
            "created_at": self.created_at,
            "section": self.section,
            "version": self.version,
            "body": dict(self.body) if self.body is not None else None,
            "step": self.step,
        }

    @classmethod
    def from_sealed(
        cls,
        wid: str,
        contact: str,
        data: Mapping[str, Any],
        status: str,
        attempts: int,
        last: str,
        due: str = "",
    ) -> Job:
        return cls(
            webhook_id=wid,
            contact=contact,
            kind=data["kind"],
            endpoint=data["endpoint"],
            created_at=float(data["created_at"]),
            section=data.get("section"),
            version=data.get("version"),
            body=data.get("body"),
            step=data.get("step"),
            status=status,
            attempts=attempts,
            last_result=last,
            due=due,
        )


def due_token(due_ms: float) -> str:
    """A schedule's planned time as a job keeps it: microseconds since the epoch (a due
    entry carries the same time as the scheduler writes it, isoformat)."""
    return str(round(due_ms * 1000))


def token_ms(token: str) -> float:
    return int(token) / 1000


def after_token(job: Job, due_ms: float) -> float:
    """`due_ms`, or just after the job's current token: a new schedule never reuses a planned
    time, whose fired guard would keep its due entry from being written."""
    return max(due_ms, token_ms(job.due) + 0.001) if job.due else due_ms


def finished_for_good(contact: str, wid: str, status: str) -> Job:
    """What is left of a job delivered or superseded: its status (the log has the rest)."""
    return Job(wid, contact, kind="", endpoint="", created_at=0.0, status=status)


class CareRecordStore(Protocol):
    # Consent: every version's document, in order; a version is appended, never replaced.
    async def consent_versions(self, contact: str) -> list[Document]: ...

    async def append_consent(self, contact: str, version: int, document: Document) -> bool:
        """Append version `version`; False when it is not the next one (taken meanwhile)."""
        ...

    async def newest_consents(self, contacts: Sequence[str]) -> dict[str, Document | None]:
        """Each contact's newest consent document (None: never given), in one round trip."""
        ...

    # Section snapshots: the newest confirmed one of each section (its document carries
    # its "version").
    async def section_snapshots(self, contact: str) -> dict[str, Document]: ...

    async def keep_snapshot(self, contact: str, section: str, document: Document) -> bool:
        """Keep it unless the section already has that version or a newer one."""
        ...

    # The disclosure log: per contact, and program-wide for reads of unknown plans.
    async def audit(self, contact: str, entry: AuditEntry) -> None: ...

    async def audit_access(self, entry: AuditEntry) -> None: ...

    async def audit_log(self, contact: str) -> list[AuditEntry]:
        """The contact's whole log, oldest first."""
        ...

    async def access_log(self) -> list[AuditEntry]: ...

    # Delivery jobs. When they go is the scheduler's (bot/careteam/delivery/timer.py); a job
    # keeps its due token, the planned time of its current schedule.
    async def create_job(self, job: Job, due_ms: float) -> str:
        """Create a job once (its id dedupes; a withheld one is revived). The due token it
        was given when new or revived (due_token(due_ms), or just after a revived job's old
        one), else "" (it exists, and keeps its own)."""
        ...

    async def parked_count(self) -> int: ...

    async def set_due(self, job: Job, due_ms: float) -> None:
        """Give an existing job the due token of `due_ms` (nothing if it is gone)."""
        ...

    # The schedule of the previous release (careteam:due), read once to move it.
    async def legacy_due(self, limit: int) -> list[tuple[str, str, float]]:
        """(contact, webhook id, due ms) of at most `limit` jobs still in it."""
        ...

    async def drop_legacy_due(self, contact: str, wid: str) -> None: ...

    async def load_job(self, contact: str, wid: str) -> Job | None: ...

    async def finish_job(self, job: Job, status: str, result: str) -> Job:
        """delivered, withheld or superseded: done for good (a withheld one may be revived)."""
        ...

    async def reschedule_job(self, job: Job, attempts: int, due_ms: float, result: str) -> Job:
        """Another try at `due_ms` (its due token; callers pass after_token(job, ...))."""
        ...

    async def park_job(self, job: Job, attempts: int, now_ms: float, result: str) -> Job: ...

    async def parked_jobs(self, limit: int = 1000) -> list[Job]: ...

    async def unpark_job(self, job: Job, now_ms: float) -> None:
        """Pending again with a fresh count of tries and the due token of `now_ms` (callers
        pass after_token(job, ...)); still
        listed as parked until drop_parked (so a crash before its try is planned leaves it
        for the next retry)."""
        ...

    async def drop_parked(self, job: Job) -> None: ...

    async def forget_job(self, job: Job) -> None:
        """Delete a job outright (a delivered plan.deleted keeps no plan id about)."""
        ...

    async def cancel_jobs(self, contact: str) -> int:
        """Take every job of a contact out of the parked list; how many (its scheduled tries
        are the scheduler's: DeliveryTimer.forget)."""
        ...

    # Outbox entries that cannot be applied, kept (still sealed) for a person to look at.
    async def bury(self, entry_id: str, fields: Mapping[bytes, bytes], error: str) -> None: ...

    async def buried(self) -> list[tuple[str, str]]:
        """(outbox entry id, error) of every entry set aside, oldest first."""
        ...

    async def purge_dead(self, contact: str) -> int:
        """Delete a contact's set-aside entries; how many."""
        ...

    # The fact of each erasure (when, how much), never whose.
    async def log_erasure(self, at: datetime, keys: int, notified: int) -> None: ...

    async def erasures(self) -> list[tuple[str, int, int]]: ...

    # Failed bearer-token checks per client address, in a window that starts with the first.
    async def count_token_check(self, address: str, window_s: int) -> tuple[int, int]:
        """Count a check; (checks in the window, seconds the window has left)."""
        ...

    async def give_back_token_check(self, address: str) -> None: ...


class CareCoordination(Protocol):
    """What only a shared Redis can give the delivery worker: the outbox's consumer group,
    the one-reader lease beside it, and the program's rate limiter (on-call paging)."""

    def leader_lease(self, ttl: timedelta, token: str) -> LeaseHandle: ...

    def outbox_group(self, stream: str, group: str, consumer: str, batch: int) -> StreamGroup: ...

    def limiter(self, id_key: bytes) -> Limits: ...


class CareBackend(CareRecordStore, CareCoordination, Protocol):
    """Both: what the care-team service is started with (`RedisCareRecords`)."""
