"""The printable plan: what the viewer may see, in the parent's language and in English, with
the team's contacts and the date. Read through PlanReader, so each print is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.careteam.consent import CONSENT_FLOW, ConsentState
from bot.careteam.directory import ON_CALL, ROLE_LABELS, Directory, Member
from bot.careteam.payload import contact_of, notice
from bot.careteam.plan_view import PlanView
from bot.careteam.recipients import consent_organizations, permits_for
from bot.dashboard.about import long_date
from bot.dashboard.consent_page import SharingDetails
from bot.dashboard.own_lists import OwnLists
from bot.dashboard.scan import visible_sections
from bot.dashboard.wiring import Dashboard, principal_of
from bot.dashboard.wording import Line, english_lines, local_lines
from bot.engine.render import Voice
from bot.engine.today import local_today
from bot.i18n import SOURCE_LOCALE


@dataclass(frozen=True, slots=True)
class PrintSection:
    title: str
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class PrintPart:
    """The whole plan in one language."""

    lang: str  # BCP 47, for the lang attribute
    language: str
    plan_title: str
    parent: str
    baby: str
    sections: tuple[PrintSection, ...]
    team_heading: str
    printed: str
    # The parent's own page (MY PLAN) only: the full consent details, part by part.
    sharing: SharingDetails | None = None
    # The parent's own page only: needs and saved places (NEEDS and SAVED point here).
    own: OwnLists | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    title: str
    organization: str


@dataclass(frozen=True, slots=True)
class PrintPlan:
    plan_id: str
    parts: tuple[PrintPart, ...]  # the parent's language first, English last
    team: tuple[Contact, ...]
    notice: str
    printed_by: str


async def print_plan(
    dash: Dashboard, member: Member, plan_id: str, now: datetime
) -> PrintPlan | None:
    view = await dash.reader.read(principal_of(member), plan_id, "dashboard.print")
    contact = contact_of(plan_id)
    if view is None or contact is None:
        return None
    session = await dash.store.load_contact(contact)
    state = await dash.records.latest_consent(contact)
    today = local_today(now, session.timezone if session else None, dash.default_timezone)
    parts = [print_part(dash, view, SOURCE_LOCALE, today)]
    if view.locale != SOURCE_LOCALE:
        parts.insert(0, print_part(dash, view, view.locale, today))
    return PrintPlan(
        plan_id=plan_id,
        parts=tuple(parts),
        team=team_contacts(dash.directory, state, visible_sections(state, member, now), now),
        notice=notice(view.names),
        printed_by=f"{member.name}, {dash.directory.organization_by_id[member.organization].name}",
    )


def print_part(dash: Dashboard, view: PlanView, locale: str, today: date) -> PrintPart:
    name = str(view.parent.get("name", ""))
    translate = dash.translator
    voice = Voice(translate, locale, view.names.program, view.names.plan, name)
    english = locale == SOURCE_LOCALE
    sections = tuple(
        PrintSection(
            s.flow.title if english else voice(s.flow.title),
            tuple(english_lines(s) if english else local_lines(s, voice)),
        )
        for s in view.sections
    )
    return PrintPart(
        lang=locale.replace("_", "-"),
        language=translate.language_name(locale),
        plan_title=voice(view.names.plan),
        parent=name,
        baby=_baby(dash, view, voice, english),
        sections=sections,
        team_heading="Care team" if english else voice(dash.flows[CONSENT_FLOW].title),
        printed=f"Printed {long_date(today)}" if english else translate.format_date(locale, today),
    )


def _baby(dash: Dashboard, view: PlanView, voice: Voice, english: bool) -> str:
    """ "Due date: March 14, 2026", with the onboarding question's own label."""
    onboarding = dash.flows.onboarding
    for key in ("birth_date", "due_date"):
        raw = view.parent.get(key)
        if isinstance(raw, str):
            step = onboarding.step(key)
            day = date.fromisoformat(raw)
            if english:
                return f"{step.label}: {long_date(day)}"
            return f"{voice(step.label)}: {voice.translator.format_date(voice.locale, day)}"
    return ""


def team_contacts(
    directory: Directory, state: ConsentState, sections: frozenset[str], now: datetime
) -> tuple[Contact, ...]:
    """Members of the parent's organizations who may see a section this viewer sees, and the
    on-call: naming anyone else (a treatment counselor on a nurse's printout) would tell the
    reader what the parent has not shared with them."""
    orgs = set(consent_organizations(state))
    found = []
    for m in directory.members:
        if m.organization not in orgs:
            continue
        shares = any(permits_for(s, state, m.roles, m.organization, now) for s in sections)
        if shares or ON_CALL in m.roles:
            title = m.title or ", ".join(ROLE_LABELS[r] for r in m.roles)
            found.append(Contact(m.name, title, directory.organization_by_id[m.organization].name))
    return tuple(found)
