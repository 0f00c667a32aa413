"""Plans for dashboard tests, made fast: one plan finished through the real engine, copied.

Each copy gets its own phone, name, ZIP code, language and consent, and is saved the way
any change outside an inbound text is (store.transact); its consent version is derived
and appended the way the care-team worker does it.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.careteam.consent import NOTHING, derive
from bot.careteam.directory import Directory
from bot.careteam.payload import baby_date, plan_id_of
from bot.careteam.records import CareRecords
from bot.engine.machine import Engine
from bot.engine.session import Session
from bot.engine.today import FALLBACK_TIMEZONE, zone
from bot.geo import zip_info
from bot.store.redis_store import RedisConversationStore
from tests.clock import NOW
from tests.drive import next_text

HARTFORD, LARAMIE = "06103", "82001"
NO_ONE = ["no_one"]
NOTHING_SHARED: Mapping[str, Any] = {
    "share_basic_needs": NO_ONE,
    "share_health": NO_ONE,
    "share_birth": NO_ONE,
    "share_recovery_ok": False,
    "share_recovery": NO_ONE,
    "recovery_terms": False,
    "recovery_consent": False,
    "share_baby": NO_ONE,
    "share_family": NO_ONE,
    "share_safety": NO_ONE,
    "share_safety_private": False,
}


def shares(**by_step: Any) -> dict[str, Any]:
    """Consent answers by care_team step id; every other section goes to no one."""
    return {**NOTHING_SHARED, **by_step}


def recovery_to(*roles: str) -> dict[str, Any]:
    """The three explicit yeses Part 2 needs, and who receives the recovery section."""
    return {
        "share_recovery_ok": True,
        "share_recovery": list(roles),
        "recovery_terms": True,
        "recovery_consent": True,
    }


def finished_plan(engine: Engine, now: datetime) -> Session:
    """Every section answered through the pure engine (first choice, yes, ...)."""
    session = Session()
    for _ in range(600):
        text = next_text(engine, session, now.date())
        if text is None:
            return session
        now += timedelta(seconds=5)
        session = engine.step(session, text, now).session
    raise AssertionError("the template plan did not finish")


@dataclass(frozen=True)
class Seeded:
    address: str
    contact: str

    @property
    def plan_id(self) -> str:
        return plan_id_of(self.contact)


# Seeded phones are distinct within a process: 1,000 random draws from 10**7 numbers
# collide about one run in twenty (the second parent then found the first one's consent).
_PHONES = itertools.count(secrets.randbelow(10**7))


def new_phone() -> str:
    return "+1860" + f"{next(_PHONES) % 10**7:07d}"


async def seed_plan(
    store: RedisConversationStore,
    records: CareRecords,
    directory: Directory,
    template: Session,
    *,
    name: str,
    consent: Mapping[str, Any],
    zip_code: str = HARTFORD,
    locale: str = "en",
    flags: Mapping[str, datetime] | None = None,
    handoff: bool = False,
    history: list[list[str]] | None = None,
    address: str | None = None,
    at: datetime | None = None,
) -> Seeded:
    at = at or NOW  # the app's clock starts there (tests/dashboard/conftest.py Clock)
    address = address or new_phone()
    session = template.copy()
    session.locale = locale
    info = zip_info(zip_code)
    session.timezone = info.timezone if info else None
    session.last_seen = at.isoformat()
    onboarding = session.plan.answers.setdefault("onboarding", {})
    onboarding["name"] = name
    onboarding["zip"] = zip_code
    session.plan.answers.setdefault("care_team", {}).update(consent)
    session.plan.flags = {k: v.isoformat() for k, v in (flags or {}).items()}
    session.handoff = handoff
    session.history = list(history or [])
    await store.transact(address, None, lambda _old: (session, [], []))
    contact = store.keys_for(address).contact
    organizations = directory.organizations_for(zip_code, info.state if info else None)
    state = derive(
        dict(consent),
        previous=NOTHING,
        at=at,
        source="0-1",
        organizations=organizations,
        baby_date=baby_date(session),
        text_version="care_team@test",
        zone=zone(session.timezone, FALLBACK_TIMEZONE),
    )
    assert await records.append_consent(contact, state)
    return Seeded(address, contact)
