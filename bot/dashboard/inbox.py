"""The handoff inbox: parents who asked for a person, and the conversation a member answers.

Who may answer: the on-call members of the parent's organizations (as for the on-call
webhook), and any member the parent shares a section with. The conversation shows, by the
one disclosure rule (careteam/access.py), the words to a person said since the parent's
open request (TALK or crisis words), and texts in a part of the plan the parent shares with
this member. Answers to any other part, lists of answers, and anything said before the
request stay hidden, whoever asks; each look is audited with the parts it showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.careteam.access import Access, access_for
from bot.careteam.consent import SHARE_STEPS, ConsentState
from bot.careteam.directory import ON_CALL, Directory, Member
from bot.careteam.payload import contact_of, plan_id_of
from bot.careteam.recipients import consent_organizations
from bot.dashboard.about import About, about, flags_of
from bot.dashboard.audit import entry
from bot.dashboard.planpage import Claim, claim_of
from bot.dashboard.scan import every_plan, visible_sections
from bot.dashboard.wiring import Dashboard
from bot.engine.events import HELP_FLAG
from bot.engine.session import TOPIC_PERSON, Session
from bot.geo import zip_info


@dataclass(frozen=True, slots=True)
class HandoffRow:
    contact: str
    about: About
    asked_at: datetime | None
    claim: Claim | None  # only while it holds
    # The parent said YES to "someone from your team to reach out privately" (not TALK).
    private: bool = False

    @property
    def plan_id(self) -> str:
        return plan_id_of(self.contact)


@dataclass(frozen=True, slots=True)
class Message:
    incoming: bool
    text: str
    at: datetime
    topic: str = TOPIC_PERSON  # what it is about (engine/session.py)


@dataclass(frozen=True, slots=True)
class Conversation:
    plan_id: str
    contact: str
    about: About
    asked_at: datetime | None
    waiting: bool  # the parent's request is open (not handed back)
    request: str | None  # the open request a claim rests on (open_request), if any
    claim: Claim | None  # only while it holds
    messages: tuple[Message, ...]
    earlier: int  # texts not shown: before the request, or about a part not shared
    opted_out: bool
    sees_plan: bool


# The one place a parent's open request for a person is recorded: the plan's flags, set by
# the engine. TALK raises "handoff"; a YES to a private check-in raises "handoff" and
# HELP_FLAG; crisis words raise "crisis". A flag stays until handed back or cleared.
REQUEST_FLAGS = ("handoff", HELP_FLAG, "crisis")


def wants_person(session: Session) -> bool:
    return session.handoff or "handoff" in session.plan.flags


def open_request(session: Session) -> str | None:
    """Which open request lets a member take the conversation over (a flag name), or None
    when the parent asked for no one: then only an audited reason does."""
    if session.handoff:
        return "handoff"
    return next((flag for flag in REQUEST_FLAGS if flag in session.plan.flags), None)


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
                found.contact,
                about(session),
                _asked_at(session),
                active_claim(session, now),
                private=HELP_FLAG in session.plan.flags,
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
    seen = access_for(state, member.roles, member.organization, now)
    since = opened_at(session)
    messages = [_message(item) for item in session.history if len(item) in (3, 4)]
    shown = [m for m in messages if _shows(m, seen, since)]
    parts = sorted({m.topic for m in shown if m.topic in SHARE_STEPS}, key=list(SHARE_STEPS).index)
    listed = ", ".join(f"{p} v{session.plan.versions.get(p, 1)}" for p in parts)
    what = f"dashboard.conversation: {listed}" if listed else "dashboard.conversation"
    await dash.records.audit(contact, entry(member, now, "read", what, "200"))
    return Conversation(
        plan_id=plan_id,
        contact=contact,
        about=about(session),
        asked_at=_asked_at(session),
        waiting=wants_person(session),
        request=open_request(session),
        claim=active_claim(session, now),
        messages=tuple(shown),
        earlier=len(messages) - len(shown),
        opted_out=session.status == "opted_out",
        sees_plan=bool(seen),
    )


def opened_at(session: Session) -> datetime | None:
    """When the parent's open request for a person began (None: no request is open)."""
    times = [
        datetime.fromisoformat(raw)
        for name in REQUEST_FLAGS
        if isinstance(raw := session.plan.flags.get(name), str)
    ]
    return min(times) if times else None


def _message(item: list[str]) -> Message:
    topic = item[3] if len(item) == 4 else TOPIC_PERSON
    return Message(item[0] == "in", item[1], datetime.fromisoformat(item[2]), topic)


def _shows(message: Message, seen: Access, since: datetime | None) -> bool:
    asked = since is not None and message.at >= since
    return seen.sees_topic(message.topic, asked=asked)
