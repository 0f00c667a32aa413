"""What the dashboard writes to a plan's audit log, and which lines of it a member may read."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.careteam.consent import SHARE_STEPS
from bot.careteam.directory import Member
from bot.careteam.entries import AuditEntry
from bot.careteam.records import CareRecords

# Actions this module adds to the log's vocabulary (records.py lists the delivery ones).
LIST = "list"
CLAIM = "handoff.claim"
ANSWER = "handoff.answer"
HAND_BACK = "handoff.hand_back"
FLAG_CLEARED = "flag.clear"
APPOINTMENT = "appointment.add"

_SECTION_WORDS = re.compile(r"\b(" + "|".join(map(re.escape, SHARE_STEPS)) + r")\b")


def entry(member: Member, at: datetime, action: str, what: str, result: str = "ok") -> AuditEntry:
    return AuditEntry(at, member.id, member.organization, action, what, result)


async def record_many(
    records: CareRecords, contacts: Sequence[str], member: Member, at: datetime, what: str
) -> None:
    """One `list` line per plan shown on a page of the plans list."""
    await asyncio.gather(*(records.audit(c, entry(member, at, LIST, what)) for c in contacts))


def readable_trail(
    entries: Iterable[AuditEntry], member: Member, sections: frozenset[str]
) -> list[AuditEntry]:
    """Newest first: lines by the member's own organization that name no section the member
    may not see (a line like "recovery v2" would tell a member without Part 2 consent that
    the parent has a recovery plan)."""
    kept = [
        e
        for e in entries
        if e.organization == member.organization
        and all(word in sections for word in _SECTION_WORDS.findall(e.what))
    ]
    return sorted(kept, key=lambda e: e.at, reverse=True)
