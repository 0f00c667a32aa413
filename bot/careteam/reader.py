"""What one reader may see of one plan, and who a bearer token belongs to.

A token belongs to one directory member, endpoint or operator. It sees only the finished
sections its owner's roles and organization are consented for; the others are absent, not
blanked. Every read, allowed or not, goes to the audit log.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.careteam.access import access_for
from bot.careteam.directory import Directory, Principal
from bot.careteam.entries import AuditEntry
from bot.careteam.errors import TooManyTokenChecks
from bot.careteam.payload import Names, contact_of, parent_view, snapshot_from_plan
from bot.careteam.plan_view import PlanView, VisibleSection
from bot.careteam.records import CareRecords
from bot.engine.loader import FlowSet
from bot.store.base import ConversationStore

_CACHE_S = 300.0
_CACHE_MAX = 1024
# Token checks one client address may fail per window; past that its unverified tokens are
# refused (429) without a check, so guessing and burning scrypt time both stop.
FAILED_CHECKS_PER_ADDRESS = 20
FAILED_CHECK_WINDOW_S = 15 * 60


@dataclass(slots=True)
class PlanReader:
    """Resolves tokens and builds what one reader may see of one plan."""

    store: ConversationStore
    records: CareRecords
    directory: Directory
    flows: FlowSet
    names: Names
    base_url: str
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # sha256(token) -> (owner, monotonic expiry): one scrypt per token per few minutes.
    _verified: dict[str, tuple[Principal, float]] = field(default_factory=dict)

    async def authenticate(self, token: str, address: str = "unknown") -> Principal | None:
        """The token's owner, or None. A token verified lately is served from memory; any
        other check from `address` counts against its allowance first (TooManyTokenChecks
        once it is spent), and is given back when the token turns out good."""
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._verified.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        checks = self.records.store
        count, ttl = await checks.count_token_check(address, FAILED_CHECK_WINDOW_S)
        if count > FAILED_CHECKS_PER_ADDRESS:
            raise TooManyTokenChecks(max(1, ttl))
        # scrypt takes tens of milliseconds: off the event loop.
        who = await asyncio.to_thread(self.directory.authenticate, token)
        if who is not None:
            await checks.give_back_token_check(address)
            if len(self._verified) >= _CACHE_MAX:
                self._verified.clear()
            self._verified[key] = (who, time.monotonic() + _CACHE_S)
        return who

    async def read(self, who: Principal, plan_id: str, what: str) -> PlanView | None:
        """The plan as `who` may see it, audited; None (404) when it may see nothing of it."""
        now = self.clock()
        contact = contact_of(plan_id)
        address = await self.store.address_of(contact) if contact else None
        session = await self.store.load(address) if address else None
        if contact is None or session is None:
            await self.records.audit_access(self._entry(who, now, "deny", what, "no such plan"))
            return None
        state = await self.records.latest_consent(contact)
        seen = access_for(state, who.roles, who.organization, now)
        sections: list[VisibleSection] = []
        for flow in self.flows.sections:
            if flow.id not in seen.sections:
                continue
            snapshot = snapshot_from_plan(flow, session)
            if snapshot is not None:
                private = seen.includes_private(flow.id)
                changing = flow.id in session.plan.dirty
                sections.append(VisibleSection(snapshot, flow, private, changing))
        if not sections:
            await self.records.audit(contact, self._entry(who, now, "deny", what, "no consent"))
            return None
        shown = {s.flow.id for s in sections}
        consents = tuple(
            r
            for r in state.active_records(now)
            if r.section in shown and r.role in who.roles and who.organization in r.organizations
        )
        listed = ", ".join(f"{s.flow.id} v{s.snapshot.version}" for s in sections)
        await self.records.audit(contact, self._entry(who, now, "read", f"{what}: {listed}", "200"))
        return PlanView(
            plan_id=plan_id,
            locale=session.locale,
            parent=parent_view(session),
            sections=tuple(sections),
            consents=consents,
            names=self.names,
            intermediary=self.directory.program.intermediary_named,
            organization_names={o.id: o.name for o in self.directory.organizations},
            need_records=session.plan.needs,
        )

    def _entry(
        self, who: Principal, now: datetime, action: str, what: str, result: str
    ) -> AuditEntry:
        return AuditEntry(now, who.id, who.organization, action, what, result)
