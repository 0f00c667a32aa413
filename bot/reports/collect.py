"""The report's one I/O edge: every plan read from the store, turned into facts at once.

Plans are read in batches (SCAN, then one pipelined load per batch) and each is reduced to
its PlanFacts as soon as it is decrypted, so no batch of answers is held longer than needed.
Appointments come from the reminders store when one is handed in (they are not in the plan).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Protocol

from bot.engine.session import Session
from bot.engine.today import FALLBACK_TIMEZONE
from bot.reports.facts import PlanFacts, Visit, facts_of
from bot.reports.program import Published, program_report

CONFIRMED = "confirmed"
# Appointment reads in flight at once (one round trip each): enough to hide latency, few
# enough not to open a connection per plan.
_CONCURRENT_READS = 32


class PlanSource(Protocol):
    """What reports use of the conversation store (RedisConversationStore has it)."""

    def contacts(self, batch: int = 500) -> AsyncIterator[str]: ...

    async def load_contacts(self, contacts: Sequence[str]) -> dict[str, Session]: ...


class AppointmentLike(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def day(self) -> date: ...

    @property
    def status(self) -> str: ...


class AppointmentSource(Protocol):
    """What reports use of the reminders store (bot.reminders.store.ReminderStore has it)."""

    async def appointments(self, contact: str) -> Sequence[AppointmentLike]: ...


async def collect_facts(
    plans: PlanSource,
    *,
    as_of: date,
    appointments: AppointmentSource | None = None,
    batch: int = 500,
    default_timezone: str = FALLBACK_TIMEZONE,
) -> list[PlanFacts]:
    """The facts of every plan in the store, each plan once."""
    seen: set[str] = set()  # SCAN may return a key more than once
    found: list[PlanFacts] = []
    chunk: list[str] = []
    async for contact in plans.contacts(batch):
        if contact in seen:
            continue
        seen.add(contact)
        chunk.append(contact)
        if len(chunk) >= batch:
            found += await _facts(plans, chunk, as_of, appointments, default_timezone)
            chunk = []
    if chunk:
        found += await _facts(plans, chunk, as_of, appointments, default_timezone)
    return found


async def _facts(
    plans: PlanSource,
    contacts: list[str],
    as_of: date,
    appointments: AppointmentSource | None,
    default_timezone: str,
) -> list[PlanFacts]:
    sessions = await plans.load_contacts(contacts)
    visits: dict[str, list[Visit]] = {}
    if appointments is not None:
        source, limit = appointments, asyncio.Semaphore(_CONCURRENT_READS)

        async def read(contact: str) -> Sequence[AppointmentLike]:
            async with limit:
                return await source.appointments(contact)

        listed = await asyncio.gather(*(read(c) for c in sessions))
        visits = {
            contact: [Visit(a.kind, a.day, a.status == CONFIRMED) for a in found]
            for contact, found in zip(sessions, listed, strict=True)
        }
    return [
        facts_of(s, as_of=as_of, visits=visits.get(c, ()), default_timezone=default_timezone)
        for c, s in sessions.items()
    ]


async def published_report(
    plans: PlanSource,
    *,
    from_: date,
    to: date,
    as_of: date,
    appointments: AppointmentSource | None = None,
    default_timezone: str = FALLBACK_TIMEZONE,
) -> Published:
    """Read every plan, count the period's cohort, and withhold what must be withheld."""
    facts = await collect_facts(
        plans, as_of=as_of, appointments=appointments, default_timezone=default_timezone
    )
    return program_report(facts, from_, to).publish()
