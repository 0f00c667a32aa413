"""The handoff inbox: parents who asked for a person, and the conversation a member answers.

Who may answer: the on-call members of the parent's organizations (as for the on-call
webhook), and any member the parent shares a section with. The conversation shows the
texts from the moment the parent asked for a person on: earlier texts are answers to plan
questions, which a member may see only as far as the parent's consent goes (the plan page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.careteam.consent import ConsentState, consent_organizations
from bot.careteam.directory import ON_CALL, Directory, Member
from bot.careteam.payload import contact_of, plan_id_of
from bot.dashboard.about import About, about, flags_of
from bot.dashboard.audit import entry
from bot.dashboard.planpage import Claim, claim_of
from bot.dashboard.scan import every_plan, visible_sections
from bot.dashboard.wiring import Dashboard
from bot.engine.session import Session
from bot.geo import zip_info


@dataclass(frozen=True, slots=True)
class HandoffRow:
    contact: str
    about: About
    asked_at: datetime | None
    claim: Claim | None  # only while it holds

    @property
    def plan_id(self) -> str:
        return plan_id_of(self.contact)


@dataclass(frozen=True, slots=True)
class Message:
    incoming: bool
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    plan_id: str
    contact: str
    about: About
    asked_at: datetime | None
    waiting: bool  # the parent's request is open (not handed back)
    claim: Claim | None  # only while it holds
    messages: tuple[Message, ...]
    earlier: int  # texts from before the request, not shown
    opted_out: bool
    sees_plan: bool


def wants_person(session: Session) -> bool:
    return session.handoff or "handoff" in session.plan.flags


def active_claim(session: Session, now: datetime) -> Claim | None:
    claim = claim_of(session)
    return claim if claim is not None and claim.until > now else None


def parent_organizations(
    directory: Directory, session: Session, state: ConsentState
) -> tuple[str, ...]:
    """The consent's organizations, else those serving the parent's ZIP code, else the
    program's crisis fallback: the same on-call the TALK webhook goes to."""
    named = consent_organizations(state)
    if named:
        return named
    code = session.plan.answer("onboarding", "zip")
    if isinstance(code, str):
        info = zip_info(code)
        serving = directory.organizations_for(code, info.state if info else None)
        if serving:
            return serving
    fallback = directory.program.crisis_fallback
    return (fallback,) if fallback else ()


def may_answer(
    directory: Directory, member: Member, session: Session, state: ConsentState, now: datetime
) -> bool:
    if ON_CALL in member.roles and member.organization in parent_organizations(
        directory, session, state
    ):
        return True
    return bool(visible_sections(state, member, now))


def _asked_at(session: Session) -> datetime | None:
    return next((f.at for f in flags_of(session) if f.name == "handoff"), None)


async def waiting(dash: Dashboard, member: Member, now: datetime) -> list[HandoffRow]:
    """Open requests this member may answer, oldest first (the longest wait at the top)."""
    rows = []
    async for found in every_plan(dash):
        session = found.session
        if not wants_person(session):
            continue
        if not may_answer(dash.directory, member, session, found.consent, now):
            continue
        rows.append(
            HandoffRow(
                found.contact, about(session), _asked_at(session), active_claim(session, now)
            )
        )
    rows.sort(key=lambda r: r.asked_at.timestamp() if r.asked_at else 0.0)
    return rows


async def conversation(
    dash: Dashboard, member: Member, plan_id: str, now: datetime
) -> Conversation | None:
    """None when there is no such plan or this member may not answer it; every look audited."""
    contact = contact_of(plan_id)
    session = await dash.store.load_contact(contact) if contact else None
    state = await dash.records.latest_consent(contact) if contact else None
    if contact is None or session is None or state is None:
        return None
    if not may_answer(dash.directory, member, session, state, now):
        await dash.records.audit(
            contact, entry(member, now, "deny", "dashboard.conversation", "not on the team")
        )
        return None
    await dash.records.audit(contact, entry(member, now, "read", "dashboard.conversation"))
    raw_flag = session.plan.flags.get("handoff")
    since = datetime.fromisoformat(raw_flag) if isinstance(raw_flag, str) else None
    messages = [
        Message(item[0] == "in", item[1], datetime.fromisoformat(item[2]))
        for item in session.history
        if len(item) == 3
    ]
    shown = [m for m in messages if since is None or m.at >= since]
    return Conversation(
        plan_id=plan_id,
        contact=contact,
        about=about(session),
        asked_at=_asked_at(session),
        waiting=wants_person(session),
        claim=active_claim(session, now),
        messages=tuple(shown),
        earlier=len(messages) - len(shown),
        opted_out=session.status == "opted_out",
        sees_plan=bool(visible_sections(state, member, now)),
    )
