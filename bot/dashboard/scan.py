"""Plans with their newest consent, read in batches: what the list and the inbox filter.

Consents are read first (small), so the sessions (a few kilobytes each to open) are loaded
only for the contacts a filter keeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.careteam.access import access_for
from bot.careteam.consent import ConsentState
from bot.careteam.directory import Member
from bot.dashboard.wiring import Dashboard
from bot.engine.session import Session

# Which contacts to open, from the consent alone (None: every contact).
Keep = Callable[[ConsentState], bool] | None


@dataclass(frozen=True, slots=True)
class Found:
    contact: str
    session: Session
    consent: ConsentState


async def every_plan(dash: Dashboard, keep: Keep = None) -> AsyncIterator[Found]:
    """SCAN for contacts; per batch one round trip for consents and one for sessions."""
    batch: list[str] = []
    seen: set[str] = set()  # SCAN may return a key more than once
    async for contact in dash.store.contacts(dash.config.batch):
        if contact in seen:
            continue
        seen.add(contact)
        batch.append(contact)
        if len(batch) >= dash.config.batch:
            for found in await _load(dash, batch, keep):
                yield found
            batch = []
    if batch:
        for found in await _load(dash, batch, keep):
            yield found


async def _load(dash: Dashboard, contacts: list[str], keep: Keep) -> list[Found]:
    consents = await dash.records.latest_consents(contacts)
    wanted = [c for c in contacts if keep is None or keep(consents[c])]
    sessions = await dash.store.load_contacts(wanted) if wanted else {}
    return [Found(c, s, consents[c]) for c, s in sessions.items()]


def visible_sections(state: ConsentState, member: Member, now: datetime) -> frozenset[str]:
    """The plan sections the newest consent lets this member see (finished or not)."""
    return access_for(state, member.roles, member.organization, now).sections
