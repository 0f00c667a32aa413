"""One plan as a member may see it: sections in plain words, versions, needs, visits, consent
and audit. Read through PlanReader, so the read itself is consent-checked and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.careteam.consent import PART2_SECTION, ConsentRecord
from bot.careteam.directory import Member
from bot.careteam.entries import AuditEntry
from bot.careteam.payload import contact_of
from bot.careteam.plan_view import PlanView, VisibleSection, shown_answers
from bot.dashboard.about import About, Flag, about, flags_of
from bot.dashboard.appointments import Visit, kinds_for, upcoming_visits
from bot.dashboard.audit import readable_trail
from bot.dashboard.scan import visible_sections
from bot.dashboard.wiring import Dashboard, principal_of
from bot.dashboard.wording import Line, english_lines
from bot.engine.session import Session

TRAIL_MAX = 200
NEED_STATUS_LABELS = {
    "have": "Has it",
    "need": "Needs it",
    "referred": "Referred",
    "connected": "Connected",
    "declined": "Declined",
}


@dataclass(frozen=True, slots=True)
class SectionView:
    key: str
    title: str
    version: int
    completed_at: datetime
    changing: bool
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class NeedView:
    kind: str
    status: str
    section: str
    history: tuple[tuple[str, str, str], ...]  # (when, status, by)

    @property
    def label(self) -> str:
        return self.kind.replace("_", " ").capitalize()

    @property
    def status_label(self) -> str:
        return NEED_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class ConsentView:
    """One consent version, with only the permissions for sections the member may see."""

    version: int
    recorded_at: datetime | None
    cause: str
    text_version: str
    records: tuple[ConsentRecord, ...]


@dataclass(frozen=True, slots=True)
class Claim:
    member: str
    name: str
    until: datetime


@dataclass(frozen=True, slots=True)
class PlanPage:
    plan_id: str
    contact: str
    about: About
    language: str
    flags: tuple[Flag, ...]
    sections: tuple[SectionView, ...]
    needs: tuple[NeedView, ...]
    visits: tuple[Visit, ...]
    reminders_running: bool
    add_kinds: tuple[str, ...]
    consents: tuple[ConsentView, ...]
    trail: tuple[AuditEntry, ...]
    claim: Claim | None
    hidden_sections: int  # finished sections this member may not see


async def plan_page(
    dash: Dashboard, member: Member, plan_id: str, now: datetime
) -> PlanPage | None:
    """None (a 404, audited as a denial) when the member may see no section of it."""
    view = await dash.reader.read(principal_of(member), plan_id, "dashboard.plan")
    contact = contact_of(plan_id)
    session = await dash.store.load_contact(contact) if view and contact else None
    if view is None or contact is None or session is None:
        return None
    records = dash.records
    state = await records.latest_consent(contact)
    visible = visible_sections(state, member, now)
    sees_recovery = PART2_SECTION in visible
    planner = dash.planner
    visits = await upcoming_visits(planner, contact, sees_recovery, now) if planner else []
    history = await records.consent_history(contact)
    trail = readable_trail(await records.audit_log(contact), member, visible)
    done = [f.id for f in dash.flows.sections if session.plan.is_done(f.id)]
    return PlanPage(
        plan_id=plan_id,
        contact=contact,
        about=about(session),
        language=dash.translator.language_name(session.locale),
        flags=flags_of(session),
        sections=tuple(_section(s) for s in view.sections),
        needs=tuple(_needs(view, session)),
        visits=tuple(visits),
        reminders_running=planner is not None,
        add_kinds=kinds_for(sees_recovery),
        consents=tuple(
            ConsentView(
                c.version,
                c.recorded_at,
                c.cause,
                c.text_version,
                tuple(r for r in c.records if r.section in visible),
            )
            for c in reversed(history)
        ),
        trail=tuple(trail[:TRAIL_MAX]),
        claim=claim_of(session),
        hidden_sections=len([d for d in done if d not in {s.flow.id for s in view.sections}]),
    )


def _section(visible: VisibleSection) -> SectionView:
    snap = visible.snapshot
    return SectionView(
        key=visible.flow.id,
        title=visible.flow.title,
        version=snap.version,
        completed_at=datetime.fromisoformat(snap.completed_at),
        changing=visible.changing,
        lines=tuple(english_lines(visible)),
    )


def _needs(view: PlanView, session: Session) -> list[NeedView]:
    """Needs whose source answer this member may see (a need from a private answer is private)."""
    shown = {
        (s.flow.id, step.id): s.flow.title for s in view.sections for step, _ in shown_answers(s)
    }
    found = []
    for kind, need in sorted(session.plan.needs.items()):
        source = need.get("source") or ["", ""]
        title = shown.get((str(source[0]), str(source[1])))
        if title is None:
            continue
        history = tuple(
            (str(h.get("at", "")), str(h.get("status", "")), str(h.get("by", "")))
            for h in need.get("history", [])
        )
        found.append(NeedView(kind, str(need.get("status", "")), title, history))
    return found


def claim_of(session: Session) -> Claim | None:
    raw = session.handoff_claim
    if not raw:
        return None
    try:
        until = datetime.fromisoformat(str(raw["until"]))
    except (KeyError, ValueError):
        return None
    return Claim(str(raw.get("member", "")), str(raw.get("name", "")), until)
