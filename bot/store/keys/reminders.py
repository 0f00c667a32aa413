"""Every Redis key the reminders subsystem uses, built here and nowhere else."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Program-wide reminder keys share the hash tag {rem}: the fire script touches an
# idempotency key and the due stream together, which a Redis Cluster allows only in one slot.
# Job ids embed a contact's {c:...} tag too, but only the first braces of a key count.
_TAG = "{rem}"


@dataclass(frozen=True, slots=True)
class ReminderKeys:
    """Keys under one namespace `prefix` (tests and tenants); the prefix holds no braces."""

    prefix: str = ""

    def __post_init__(self) -> None:
        if "{" in self.prefix or "}" in self.prefix:
            raise ValueError("a key prefix must not contain braces")

    # ---- per contact (hash tag {c:...}, next to the contact's session and plan) --------

    def appointments(self, contact: str) -> str:
        """Hash: appointment id -> sealed appointment."""
        return f"{self.prefix}{contact}:appts"

    def offers(self, contact: str) -> str:
        """Hash: series -> sealed standard-schedule offer currently planned."""
        return f"{self.prefix}{contact}:offers"

    def offered(self, contact: str) -> str:
        """Set of milestone keys already offered: a re-sync never offers one twice."""
        return f"{self.prefix}{contact}:offered"

    def synced(self, contact: str) -> str:
        """Marker with a TTL: the standard schedule was re-synced recently."""
        return f"{self.prefix}{contact}:remsync"

    def last_sent(self, contact: str) -> str:
        """Sealed: which appointment the newest reminder was about (for C / R / RIDE)."""
        return f"{self.prefix}{contact}:remlast"

    def failures(self, contact: str) -> str:
        """Hash: failed text (message sid) -> the parent's local day it failed on."""
        return f"{self.prefix}{contact}:remfails"

    def replied(self, contact: str) -> str:
        """Hash: outbox entry -> 1, for REMINDERS / cancel requests already answered."""
        return f"{self.prefix}{contact}:remreplied"

    def per_contact(self, contact: str) -> tuple[str, ...]:
        """Every per-contact key above (for forget; erase_contact removes them too)."""
        return (
            self.appointments(contact),
            self.offers(contact),
            self.offered(contact),
            self.synced(contact),
            self.last_sent(contact),
            self.failures(contact),
            self.replied(contact),
        )

    # ---- program-wide ({rem}) ----------------------------------------------------------

    @property
    def jobs(self) -> str:
        """APScheduler's RedisJobStore hash."""
        return f"{self.prefix}{_TAG}:jobs"

    @property
    def run_times(self) -> str:
        """APScheduler's RedisJobStore sorted set."""
        return f"{self.prefix}{_TAG}:run_times"

    @property
    def due(self) -> str:
        """Stream the jobs append to and the dispatcher reads."""
        return f"{self.prefix}{_TAG}:due"

    def due_of(self, kind: str) -> str:
        """The due stream of another kind of timed work on the same scheduler (its fire
        script writes it beside a fired guard: the same {rem} slot)."""
        return f"{self.due}:{kind}" if kind else self.due

    @property
    def leader(self) -> str:
        """The lease naming the one process whose scheduler runs."""
        return f"{self.prefix}{_TAG}:leader"

    def fired(self, job_id: str, planned: str) -> str:
        """SET NX guard: one due entry per job and planned time, whichever scheduler ran it."""
        return f"{self.prefix}{_TAG}:fired:{job_id}:{planned}"

    def sent(self, job_id: str, occurrence: str) -> str:
        """The send claim: one text per reminder occurrence, whatever was redelivered or
        whoever died mid-send (bot/store/send_claims.py)."""
        return f"{self.prefix}{_TAG}:sent:{job_id}:{occurrence}"

    # ---- finding one contact's entries among everyone's (forget) ------------------------

    def job_match(self, contact: str) -> str:
        """MATCH pattern for a contact's job ids (jobs hash fields, run_times members)."""
        return _glob_escape(job_prefix(contact)) + "*"

    def guards_match(self, contact: str) -> tuple[str, str]:
        """MATCH patterns for the contact's fired and sent guards."""
        base, jobs = _glob_escape(f"{self.prefix}{_TAG}:"), self.job_match(contact)
        return f"{base}fired:{jobs}", f"{base}sent:{jobs}"

    def fired_match(self, job_prefix: str) -> str:
        """MATCH pattern for the fired guards of jobs whose ids start with `job_prefix`."""
        return _glob_escape(f"{self.prefix}{_TAG}:fired:{job_prefix}") + "*"


def _glob_escape(text: str) -> str:
    """Literal text inside a Redis MATCH pattern (a prefix might hold * ? [ ] or \\)."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def ids_match(prefix: str) -> str:
    """MATCH pattern for the job ids that start with `prefix` (of any kind)."""
    return _glob_escape(prefix) + "*"


def job_prefix(contact: str) -> str:
    """What every job id of one contact starts with."""
    return f"reminder:{contact}:"


def job_id(contact: str, item: str, lead: str) -> str:
    """`reminder:{contact}:{appointment or offer}:{lead}`: re-adding it replaces the job."""
    return f"{job_prefix(contact)}{item}:{lead}"


def parse_job_id(value: str) -> tuple[str, str, str]:
    """(contact, item, lead) from a job id; ValueError when it is not one of ours."""
    head, _, rest = value.partition(":")
    contact, _, tail = rest.partition("}:")
    item, _, lead = tail.rpartition(":")
    if head != "reminder" or not contact.startswith("{c:") or not item or not lead:
        raise ValueError(f"not a reminder job id: {value!r}")
    return contact + "}", item, lead
