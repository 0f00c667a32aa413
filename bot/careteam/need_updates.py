"""A care-team member changes a need: checked against consent, applied under the plan's lock.

The change goes through `store.transact` (the only way to change a plan outside a text): it
locks the contact, applies the pure `needs.apply_change`, saves and appends NeedChanged to
the outbox in one step; the delivery worker then sends `plan.need.updated`. Every attempt,
allowed or refused, is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.careteam.access import access_for
from bot.careteam.consent import ConsentState
from bot.careteam.directory import Directory, Principal
from bot.careteam.entries import AuditEntry
from bot.careteam.errors import CareTeamError, NeedInvalid, PlanNotFound
from bot.careteam.needs import NeedChange, Reader, Source, apply_change, authorize, may_see
from bot.careteam.payload import contact_of
from bot.careteam.records import CareRecords
from bot.engine.events import Event
from bot.engine.loader import FlowSet
from bot.engine.session import Session
from bot.store.base import ConversationStore


@dataclass(slots=True)
class NeedDesk:
    """Where members' need changes are checked, applied and audited."""

    store: ConversationStore
    records: CareRecords
    directory: Directory
    flows: FlowSet
    clock: Callable[[], datetime]
    default_timezone: str

    async def update(
        self, who: Principal, plan_id: str, kind: str, change: NeedChange
    ) -> dict[str, Any]:
        """The need after the change. PlanNotFound when the member may see nothing of the
        plan (its existence is not revealed), NeedForbidden / NeedNotFound / NeedConflict /
        NeedInvalid as needs.py decides."""
        now = self.clock()
        what = f"need {kind}"
        contact = contact_of(plan_id)
        address = await self.store.address_of(contact) if contact else None
        session = await self.store.load(address) if address else None
        if contact is None or address is None or session is None:
            await self.records.audit_access(_entry(who, now, "deny", what, "no such plan"))
            raise PlanNotFound(plan_id)
        state = await self.records.latest_consent(contact)
        reader = Reader(who.roles, who.organization)
        try:
            if not _sees_any(state, who, now):
                raise PlanNotFound(plan_id)
            source = authorize(session, kind, self.flows, state, reader, now)
            self._check_owner(change, source, state, now)

            def apply(current: Session) -> tuple[Session, list[str], list[Event]]:
                changed, events = apply_change(
                    current,
                    kind,
                    change,
                    source=source,
                    by=who.id,
                    at=now,
                    default_timezone=self.default_timezone,
                )
                return changed, [], events

            outcome = await self.store.transact(address, None, apply)
        except CareTeamError as exc:
            await self.records.audit(contact, _entry(who, now, "deny", what, exc.code))
            raise
        assert outcome.session is not None
        need = outcome.session.plan.needs[kind]
        status = "unchanged" if not outcome.events else "200"
        detail = f"{what} v{need.get('version', 1)}: {need['status']}"
        await self.records.audit(contact, _entry(who, now, "update", detail, status))
        return dict(need)

    def _check_owner(
        self, change: NeedChange, source: Source, state: ConsentState, now: datetime
    ) -> None:
        """A need may be given only to a member whom consent lets see it."""
        if "owner" not in change.given or change.owner is None:
            return
        owner = self.directory.member_by_id.get(change.owner)
        if owner is None:
            raise NeedInvalid(f"no member {change.owner!r} in the directory")
        reader = Reader(frozenset(owner.roles), owner.organization)
        if not may_see(source, self.flows, state, reader, now):
            raise NeedInvalid(f"member {change.owner!r} may not see this need")


def _entry(who: Principal, now: datetime, action: str, what: str, result: str) -> AuditEntry:
    return AuditEntry(now, who.id, who.organization, action, what, result)


def _sees_any(state: ConsentState, who: Principal, now: datetime) -> bool:
    return bool(access_for(state, who.roles, who.organization, now))
