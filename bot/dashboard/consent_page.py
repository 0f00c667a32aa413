"""The MY PLAN page's sharing details: the full consent behind a shared phone's neutral
sharing texts (42 CFR 2.31). Per part: who would receive it (the organizations serving the
parent's ZIP code, by name, and the intermediary), exactly what it holds, who the parent lets
see it now, and today's date; then how long a yes lasts. Pure: the page calls it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.engine import messages as m
from bot.engine.context import part_contents
from bot.engine.loader import FlowSet
from bot.engine.model import Flow, Step
from bot.engine.render import Voice
from bot.engine.session import Plan
from bot.engine.sharing import TeamView, agreed
from bot.engine.texts import N_
from bot.geo import zip_info

# Translators: on the parent's private plan page; {who} names roles ("Nurse or doctor").
WHO_NOW = N_("Who may see it now: {who}")
# Translators: on the parent's private plan page, for a part not yet asked about.
NOT_CHOSEN = N_("Who may see it now: no one yet. Nothing is shared unless you say so.")


@dataclass(frozen=True, slots=True)
class SharingPart:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SharingDetails:
    heading: str
    parts: tuple[SharingPart, ...]
    terms: str


def sharing_details(
    voice: Voice, flows: FlowSet, team: TeamView, plan: Plan, today: date
) -> SharingDetails:
    """Every part a sharing question asks about, in the parent's language, named in full."""
    code = plan.answer(flows.onboarding.id, "zip")
    where = zip_info(str(code)) if code else None
    names = team.organizations(str(code), where.state if where else None) if code else ()
    who = ", ".join(names) if names else voice(m.CONSENT_TEAM_UNKNOWN)
    through = team.through(voice)
    when = voice(m.CONSENT_DATE, month=today.month, day=today.day, year=today.year)
    who_line = voice(m.CONSENT_WHO, date=when, organizations=who, intermediary=through)
    consent = next(f for f in flows.flows.values() if "ConsentChanged" in f.emits)
    parts = []
    for section in flows.sections:
        steps = [s for s in consent.steps if s.shares == section.id and s.type == "multi"]
        if not steps:
            continue
        holds = part_contents(voice, flows.sections, section, plan)
        items = holds or [voice(m.CONSENT_NOTHING_YET)]
        lines = [who_line, f"{voice(m.CONSENT_WHAT)} {', '.join(items)}."]
        lines.append(_who_now(voice, consent, steps[0], plan))
        parts.append(SharingPart(voice(section.title), tuple(lines)))
    terms = voice(m.SHARING_RESUME_TERMS)
    return SharingDetails(voice(consent.title), tuple(parts), terms)


def _who_now(voice: Voice, consent: Flow, step: Step, plan: Plan) -> str:
    """The roles the parent picked for a part, by their labels (a Part 2 pick counts only
    with its yeses)."""
    value = plan.answer(consent.id, step.id)
    if not isinstance(value, list) or not agreed(consent, step, plan):
        return voice(NOT_CHOSEN)
    return voice(WHO_NOW, who=", ".join(voice.choice(step, v) for v in value))
