"""What each outbox event means for the care team: consent versions, snapshots, delivery jobs.

Consent answers become consent versions; a finished section becomes a snapshot plus one job
per consented endpoint; a need's change becomes a job per endpoint that may see the answer
behind it; crisis, TALK and "can't reach" become alerts for the on-call role; DELETE MY DATA
runs the eraser. Jobs are only created here; sending (and checking consent again at that
moment) is the sender's part.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.careteam.consent import (
    CONSENT_FLOW,
    CONSENT_STEPS,
    SHARE_STEPS,
    ConsentState,
    consent_organizations,
    consent_text_version,
    consented_recipients,
    derive,
    narrow,
    on_call_endpoints,
    resume,
    withhold,
)
from bot.careteam.delivery.base import Clock, Retry, entry_key, entry_time
from bot.careteam.delivery.timer import DeliveryTimer
from bot.careteam.directory import (
    CANT_REACH_EVENT,
    CRISIS_EVENT,
    HANDOFF_EVENT,
    NEED_EVENT,
    SECTION_EVENT,
    Directory,
)
from bot.careteam.entries import AuditEntry, Job
from bot.careteam.erasure import Eraser
from bot.careteam.needs import Reader, may_see, need_body, source_of
from bot.careteam.payload import (
    Names,
    SectionSnapshot,
    alert_body,
    baby_date,
    plan_id_of,
    snapshot_from_event,
    webhook_id,
)
from bot.careteam.records import CareRecords
from bot.engine.events import (
    AnswerChanged,
    CantReach,
    ConsentChanged,
    CrisisDetected,
    ErasureRequested,
    HandoffRequested,
    NeedChanged,
    PlanLinkRequested,
    RecordRequested,
    SectionCompleted,
    SharingResumed,
    SharingWithheld,
)
from bot.engine.loader import FlowSet
from bot.engine.session import Session
from bot.engine.today import FALLBACK_TIMEZONE, zone
from bot.geo import zip_info
from bot.store.base import ConversationStore
from bot.store.limits import PageGate
from bot.store.outbox import OutboxEntry

log = logging.getLogger("bot.careteam.delivery")
# The audit action of a part the parent stopped for one organization (SHARING).
STOP_ACTION = "stop"
# ... and of one the parent shared with it again, after a new yes (SHARING).
RESUME_ACTION = "resume"

# A text the parent asked for (MY RECORD, MY PLAN): (address, the events) -> anything. Sent
# from here, after the commit, never inside the webhook's deadline.
ParentText = Callable[[str, Sequence[object]], Awaitable[object]]


class EventRouter:
    """Applies one outbox entry at a time (the reader calls `apply`, in stream order)."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        records: CareRecords,
        directory: Directory,
        flows: FlowSet,
        names: Names,
        eraser: Eraser,
        timer: DeliveryTimer,
        clock: Clock,
        pages: PageGate | None = None,
        default_timezone: str = FALLBACK_TIMEZONE,
    ) -> None:
        self._store = store
        self._default_timezone = default_timezone
        self._pages = pages
        self._records = records
        self._directory = directory
        self._flows = flows
        self._names = names
        self._eraser = eraser
        self._timer = timer
        self._clock = clock
        self._parent_texts: list[ParentText] = []
        care_team = flows[CONSENT_FLOW]
        self._text_version = consent_text_version(
            s.ask for s in care_team.steps if s.id in CONSENT_STEPS
        )

    async def apply(self, entry: OutboxEntry) -> None:
        """Act on one engine event; events the care team has no part in are passed over."""
        event = entry.event
        at = entry_time(entry.entry_id)
        if isinstance(event, SectionCompleted) and event.section in SHARE_STEPS:
            await self._on_section(entry, event, at)
        elif isinstance(event, ConsentChanged) and event.section == CONSENT_FLOW:
            await self._on_consent(entry, event, at)
        elif isinstance(event, AnswerChanged) and event.section == CONSENT_FLOW:
            await self._on_consent_answer(entry, event, at)
        elif isinstance(event, SharingWithheld):
            await self._on_withheld(entry, event, at)
        elif isinstance(event, SharingResumed):
            await self._on_resumed(entry, event, at)
        elif isinstance(event, NeedChanged):
            await self._on_need(entry, event)
        elif isinstance(event, CrisisDetected):
            await self._on_alert(entry, CRISIS_EVENT, {"kind": event.kind}, at)
        elif isinstance(event, HandoffRequested):
            await self._on_alert(entry, HANDOFF_EVENT, {"reason": event.reason}, at)
        elif isinstance(event, CantReach):
            detail = {"failures": event.failures, "days": event.days}
            await self._on_alert(entry, CANT_REACH_EVENT, detail, at)
        elif isinstance(event, ErasureRequested):
            await self._eraser.erase(entry.contact, entry.entry_id)
        elif isinstance(event, RecordRequested | PlanLinkRequested):
            await self._on_parent_request(entry)
        # A changed answer in a finished section needs the parent's new "yes"; the engine
        # then emits SectionCompleted with the next version, which is what gets delivered.

    def answer_requests_with(self, text: ParentText) -> None:
        """Have `text` answer MY RECORD / MY PLAN (each text picks the requests it answers)."""
        self._parent_texts.append(text)

    async def _on_parent_request(self, entry: OutboxEntry) -> None:
        address = await self._store.address_of(entry.contact)
        if address is None:
            return  # erased since: nobody to text
        for text in self._parent_texts:
            try:
                await text(address, [entry.event])
            except Exception:  # Twilio away: the parent may ask again; the stream moves on
                log.exception(
                    "a text the parent asked for failed",
                    extra={"event": "parent_text_failed", "type": entry.type},
                )

    # ---- sections and consent -------------------------------------------------------

    async def _session(self, contact: str) -> tuple[str | None, Session | None]:
        address = await self._store.address_of(contact)
        return address, (await self._store.load(address) if address else None)

    async def _on_section(self, entry: OutboxEntry, event: SectionCompleted, at: datetime) -> None:
        _, session = await self._session(entry.contact)
        snapshot = snapshot_from_event(event.section, event.version, event.answers, at, session)
        await self._records.save_snapshot(entry.contact, snapshot)
        state = await self._records.latest_consent(entry.contact)
        await self._schedule_section(entry.contact, snapshot, state)

    async def _on_withheld(self, entry: OutboxEntry, event: SharingWithheld, at: datetime) -> None:
        """One part stopped for one organization: a new consent version at once."""
        section = next((sec for sec, step in SHARE_STEPS.items() if step == event.step), None)
        if section is None:
            return
        previous = await self._records.latest_consent(entry.contact)
        if not self._is_new(entry, previous):
            return
        state = withhold(previous, section, event.organization, at=at, source=entry.entry_id)
        if state is not None:
            await self._append(entry.contact, state)
            # The disclosure log (and so MY RECORD) keeps the parent's stop beside what went.
            stop = AuditEntry(
                at=at,
                actor="parent",
                organization=event.organization,
                action=STOP_ACTION,
                what=section,
                result="stopped by the parent",
            )
            await self._records.audit(entry.contact, stop)

    async def _on_resumed(self, entry: OutboxEntry, event: SharingResumed, at: datetime) -> None:
        """A stopped part shared with one organization again, after the parent's new yes: a
        new consent version, the yes in the disclosure log, then the part goes out to that
        organization the way a consent given later sends it (once per version and endpoint;
        a job withheld for want of consent is revived)."""
        section = next((sec for sec, step in SHARE_STEPS.items() if step == event.step), None)
        previous = await self._records.latest_consent(entry.contact)
        _, session = await self._session(entry.contact)
        if section is not None and self._is_new(entry, previous):
            tz = zone(session.timezone if session else None, self._default_timezone)
            org, source = event.organization, entry.entry_id
            state = resume(
                previous, section, org, at=at, source=source, baby_date=baby_date(session), zone=tz
            )
            if state is None:
                return
            await self._append(entry.contact, state)
            yes = AuditEntry(
                at, "parent", org, RESUME_ACTION, section, "shared again by the parent"
            )
            await self._records.audit(entry.contact, yes)
            previous = state
        await self._schedule_all(entry.contact, session, previous)

    async def _on_consent(self, entry: OutboxEntry, event: ConsentChanged, at: datetime) -> None:
        previous = await self._records.latest_consent(entry.contact)
        _, session = await self._session(entry.contact)
        if self._is_new(entry, previous):
            answers = {r.key: None if r.skipped else r.value for r in event.answers}
            state = derive(
                answers,
                previous=previous,
                at=at,
                source=entry.entry_id,
                organizations=self._organizations(session),
                baby_date=baby_date(session),
                text_version=self._text_version,
                zone=zone(session.timezone if session else None, self._default_timezone),
            )
            await self._append(entry.contact, state)
        else:
            state = previous
        await self._schedule_all(entry.contact, session, state)

    async def _schedule_all(
        self, contact: str, session: Session | None, state: ConsentState
    ) -> None:
        """Sections finished (and needs found) before this consent go out now to whoever it
        newly allows; what an endpoint already got (or has pending) is not made again."""
        for snapshot in (await self._records.snapshots(contact)).values():
            await self._schedule_section(contact, snapshot, state)
        if session is not None:
            for need in session.plan.needs.values():
                await self._schedule_need(contact, session, need, state)

    async def _on_consent_answer(
        self, entry: OutboxEntry, event: AnswerChanged, at: datetime
    ) -> None:
        """STOP SHARING, or a consent answer changed: take permission away at once."""
        if event.key not in CONSENT_STEPS:
            return
        previous = await self._records.latest_consent(entry.contact)
        if not self._is_new(entry, previous):
            return
        state = narrow(previous, event.key, event.new, at=at, source=entry.entry_id)
        if state is not None:
            await self._append(entry.contact, state)

    def _is_new(self, entry: OutboxEntry, state: ConsentState) -> bool:
        """False for an entry already applied (or older than what was): a retry is a no-op."""
        return not state.source or entry_key(entry.entry_id) > entry_key(state.source)

    async def _append(self, contact: str, state: ConsentState) -> None:
        if not await self._records.append_consent(contact, state):
            raise Retry("another reader appended a consent version meanwhile")

    def _organizations(self, session: Session | None) -> tuple[str, ...]:
        code = session.plan.answer("onboarding", "zip") if session else None
        if not isinstance(code, str):
            return ()
        info = zip_info(code)
        return self._directory.organizations_for(code, info.state if info else None)

    async def _schedule_section(
        self, contact: str, snapshot: SectionSnapshot, state: ConsentState
    ) -> None:
        now = self._now()
        for endpoint in consented_recipients(
            snapshot.section, state, self._directory, now
        ).endpoints:
            wid = webhook_id(contact, snapshot.section, snapshot.version, endpoint.id)
            job = Job(
                wid,
                contact,
                SECTION_EVENT,
                endpoint.id,
                self._clock(),
                section=snapshot.section,
                version=snapshot.version,
            )
            await self._timer.create(job, self._clock() * 1000)

    # ---- needs ----------------------------------------------------------------------

    async def _on_need(self, entry: OutboxEntry, event: NeedChanged) -> None:
        """plan.need.updated to every endpoint that may see the answer behind the need."""
        _, session = await self._session(entry.contact)
        need = session.plan.needs.get(event.kind) if session else None
        if session is None or need is None:
            return  # erased, or the need is gone: nothing left to tell
        state = await self._records.latest_consent(entry.contact)
        await self._schedule_need(entry.contact, session, need, state)

    async def _schedule_need(
        self, contact: str, session: Session, need: Mapping[str, Any], state: ConsentState
    ) -> None:
        """One job per endpoint allowed to see this need, for its version as it is now.

        The body is the need now, so two changes read together make one job (the later
        version); the webhook id is per version and endpoint, so a consent given later
        sends it once, and a revoked-then-restored consent revives it.
        """
        body = need_body(plan_id_of(contact), need, locale=session.locale, names=self._names)
        section, step = source_of(need)
        version = int(body["need"]["version"])
        now = self._now()
        for endpoint in consented_recipients(
            section, state, self._directory, now, NEED_EVENT
        ).endpoints:
            reader = Reader(self._directory.endpoint_roles(endpoint), endpoint.organization)
            if not may_see((section, step), self._flows, state, reader, now):
                continue  # a need shown by a private answer goes only with the private yes
            wid = webhook_id(contact, NEED_EVENT, need["kind"], version, endpoint.id)
            job = Job(
                wid,
                contact,
                NEED_EVENT,
                endpoint.id,
                self._clock(),
                section=section,
                version=version,
                body=body,
                step=step,
            )
            await self._timer.create(job, self._clock() * 1000)

    # ---- alerts ---------------------------------------------------------------------

    async def _on_alert(
        self, entry: OutboxEntry, kind: str, detail: Mapping[str, Any], at: datetime
    ) -> None:
        """An alert to the on-call role, whatever the section consent: name and phone only.
        A crisis or handoff alert pages once per parent, crisis kind or handoff reason, per
        window (PageGate): a RIDE after a TALK is a new promise and pages."""
        reason = str(detail.get("reason") or detail.get("kind") or "")
        if (
            kind in (CRISIS_EVENT, HANDOFF_EVENT)
            and self._pages is not None
            and not await self._pages.first(entry.contact, kind, reason, holder=entry.entry_id)
        ):
            log.info("on-call already paged for this parent (%s)", kind)
            return
        address, session = await self._session(entry.contact)
        state = await self._records.latest_consent(entry.contact)
        organizations = consent_organizations(state) or self._organizations(session)
        endpoints = on_call_endpoints(self._directory, organizations, kind)
        if not endpoints:
            log.error("no on-call endpoint for %s (organizations %s)", kind, organizations)
            return
        body = alert_body(
            kind,
            plan_id_of(entry.contact),
            at=at,
            session=session,
            address=address,
            detail=detail,
            names=self._names,
        )
        for endpoint in endpoints:
            wid = webhook_id(entry.contact, kind, entry.entry_id, endpoint.id)
            job = Job(wid, entry.contact, kind, endpoint.id, self._clock(), body=body)
            await self._timer.create(job, self._clock() * 1000)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)
