"""What every part of a turn reads, built once at start-up and never changed: the flows, the
texts, the ZIP, local-help and care-team directories, and the keyword table. Besides, the plain
moves and questions about where a parent is (a step, the next open one, the same question
asked in another part, consent asked so far)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from bot.engine import messages as m
from bot.engine.answers import ZipLookup
from bot.engine.discretion import organization_name
from bot.engine.events import AnswerRecord
from bot.engine.keywords import KeywordTable
from bot.engine.loader import END, FlowSet
from bot.engine.model import Flow, Step
from bot.engine.navigation import answered_route, applies, lookup_for, next_open, path
from bot.engine.reminder_promise import promise, promise_timing, promised_sends, weekly_sends
from bot.engine.render import Voice, fits, pack
from bot.engine.resources import ResourceFinder, no_resources
from bot.engine.session import Plan, Session
from bot.engine.sharing import NO_TEAM, TeamView
from bot.engine.texts import Translator
from bot.engine.today import zone
from bot.engine.turn import EngineSettings, Turn


class Context:
    """The engine's read-only parts, and the questions every handler asks of a session."""

    def __init__(
        self,
        flows: FlowSet,
        translator: Translator,
        settings: EngineSettings | None = None,
        zip_lookup: ZipLookup | None = None,
        resource_finder: ResourceFinder | None = None,
        team: TeamView | None = None,
    ) -> None:
        self.flows = flows
        self.translator = translator
        self.settings = settings or EngineSettings()
        self.reminder_timing = promise_timing(self.settings.quiet_hours)
        self.zip_lookup: ZipLookup = zip_lookup or (lambda _zip: None)
        self.resource_finder: ResourceFinder = resource_finder or no_resources
        # The care-team directory's view: set by the app once the directory is loaded.
        self.team: TeamView = team or NO_TEAM
        self.keywords = KeywordTable(translator)
        self._consents = [(f, s) for f in flows.flows.values() for s in f.steps if s.consent]
        # The numbered menu as rendered, by (voice, parts done, shared phone): walker.py.
        self._menus: dict[tuple[Voice, tuple[bool, ...], bool], tuple[str, ...]] = {}
        self._menu_names: dict[str, bool] = {}  # locale -> does its menu say the name?

    def voice(self, session: Session) -> Voice:
        name = session.plan.answer("onboarding", "name")
        return Voice(
            self.translator,
            session.locale,
            self.settings.program,
            self.settings.plan_name,
            str(name) if name else "",
        )

    def reminder_sends(self, turn: Turn, answers: Mapping[str, Any]) -> list[datetime] | None:
        """When the reminders the add-a-reminder answers ask for would go (promised_sends),
        in the parent's zone and at their best time to text, as the planner will see them."""
        session = turn.session
        best = session.plan.answer("onboarding", "best_time")
        return promised_sends(
            answers,
            tz=zone(session.timezone, turn.default_timezone),
            now=turn.now,
            timing=self.reminder_timing,
            best_time=best if isinstance(best, str) else None,
        )

    def reminder_promise(self, turn: Turn, answers: Mapping[str, Any]) -> str | None:
        """ "Got it. We'll text you a reminder tomorrow around 6:00 PM." (every week: "...
        every Tuesday around 6:00 PM, starting tomorrow."), or None when the answers name no
        reminder that can go."""
        sends = self.reminder_sends(turn, answers)
        if not sends:
            return None
        tz = zone(turn.session.timezone, turn.default_timezone)
        best = turn.session.plan.answer("onboarding", "best_time")
        weekly = weekly_sends(
            answers,
            tz=tz,
            timing=self.reminder_timing,
            best_time=best if isinstance(best, str) else None,
        )
        return promise(turn.voice, sends, tz=tz, now=turn.now, weekly=weekly)

    # ---- positions ---------------------------------------------------------------------

    def goto(self, session: Session, flow: Flow, step_id: str) -> None:
        if session.flow != flow.id:
            session.review = []  # CHANGE n refers to the review of the flow it was made in
        session.flow = flow.id
        session.step = step_id
        session.mode = "ask"
        session.tries = 0

    def current_step(self, session: Session) -> Step | None:
        if session.mode != "ask" or session.flow is None or session.step is None:
            return None
        return self.flows[session.flow].step(session.step)

    def mark_changed(self, session: Session, flow_id: str) -> None:
        """A confirmed section that changes needs a new "yes" and a new version."""
        if session.plan.is_done(flow_id) and flow_id not in session.plan.dirty:
            session.plan.dirty.append(flow_id)

    # ---- one question, asked once (same_as) -----------------------------------------

    def next_open(self, session: Session, flow: Flow, after_step: str | None = None) -> str:
        """The next open step, taking answers the parent gave the same question elsewhere."""
        following = next_open(flow, session.plan, after_step)
        while following != END and self._take_same(session, flow, flow.step(following)):
            following = next_open(flow, session.plan, following)
        return following

    def same(self, step: Step) -> tuple[Flow, Step] | None:
        same = step.same_as
        other = self.flows.flows.get(same.flow_id) if same else None
        if same is None or other is None:
            return None
        return other, other.step(same.step_id)

    def _take_same(self, session: Session, flow: Flow, step: Step) -> bool:
        """Answered in another part: keep that answer here too (the read-back shows it)."""
        found = self.same(step)
        if found is None or found[1].same_as is None:
            return False
        other_flow, other = found
        value = found[1].same_as.map(session.plan.answer(other_flow.id, other.id), step)
        if value is None:
            return False
        session.plan.answers.setdefault(flow.id, {})[step.id] = value
        return True

    # ---- answers as records ------------------------------------------------------------

    def records(self, flow: Flow, session: Session) -> tuple[AnswerRecord, ...]:
        """The flow's answers as typed records: the whole route, or every answered step."""
        answers = session.plan.answers.get(flow.id, {})
        route = [s for s in path(flow, session.plan) if s in answers]
        if not flow.emits or len(route) == len(answers):
            return tuple(record(flow.step(s), answers[s]) for s in route)
        # Consent answered just in time, before the rest of the flow: every answer counts.
        return tuple(record(s, answers[s.id]) for s in flow.steps if s.id in answers)

    # ---- consent -----------------------------------------------------------------------

    def consent_steps(self) -> list[tuple[Flow, Step]]:
        return list(self._consents)  # flows never change once loaded

    def consent_given(self, session: Session) -> bool:
        """Has the parent answered any sharing question yet?"""
        return any(session.plan.has_answer(f.id, s.id) for f, s in self._consents)

    def consent_open(self, session: Session, section: str) -> tuple[Flow, Step] | None:
        """The next unanswered consent step about `section` that applies, if any."""
        for flow in self.flows.flows.values():
            if "ConsentChanged" not in flow.emits:
                continue
            lookup = lookup_for(session.plan, flow)
            for step in flow.steps:
                if step.shares != section or session.plan.has_answer(flow.id, step.id):
                    continue
                if applies(step, lookup):
                    return flow, step
        return None

    def same_people(self, session: Session, step: Step) -> list[str] | None:
        """Who the parent last let see a part, offered again for this sharing question ("the
        same people as before?"), so the list of roles is texted once, not once per part.
        Never for the recovery part (Part 2 asks its own questions) nor after "no one"."""
        if not (step.consent and step.type == "multi" and step.shares):
            return None
        if self.flows.flows.get(step.shares) is None or self.flows[step.shares].sensitive:
            return None
        choices = {c.value for c in step.choices if not c.exclusive}
        answered = {
            s.id: (f.id, s)
            for f, s in self._consents
            if s.type == "multi" and s.shares and not self.flows[s.shares].sensitive
        }
        for flow_id, step_id in reversed(session.trail):
            if step_id not in answered or step_id == step.id:
                continue
            value = session.plan.answer(flow_id, step_id)
            if isinstance(value, list) and value and set(value) <= choices:
                return [str(v) for v in value]
        return None

    def asks_discreetly(self, session: Session, flow: Flow) -> bool:
        """On a shared phone, a question is asked in its neutral form where the flow gives
        one: the part that asks who may see what names roles by number and no treatment or
        recovery words (DETAILS shows the rest); others drop a clause ("in recovery")."""
        return session.plan.shared_phone()

    def consent_details(
        self,
        turn: Turn,
        section: Flow,
        organizations: Sequence[str] | None = None,
        *,
        full: bool = False,
    ) -> list[str]:
        """Before the parent picks who may see a part: which organizations receive it (those
        serving the parent's ZIP code, unless named), through whom, exactly what it holds,
        and today's date (42 CFR 2.31). On a shared phone, unless `full` (DETAILS): an
        organization whose name says treatment or recovery by its number, the part's
        contents by its title, and how to see the rest."""
        session, voice = turn.session, turn.voice
        discreet = session.plan.shared_phone() and not full
        if organizations is None:
            code = session.plan.answer(self.flows.onboarding.id, "zip")
            where = self.zip_lookup(str(code)) if code else None
            state = where.state if where else None
            names = self.team.organizations(str(code), state) if code else ()
            ids = [o for o, _ in self.team.named(str(code), state)] if code else []
            numbers = [self.team.number(o, i) for i, o in enumerate(ids, 1)]
        else:  # named by the caller (as SHARING names them)
            names, numbers = organizations, []
        numbers += list(range(len(numbers) + 1, len(names) + 1))
        shown = [
            organization_name(voice, name, number, discreet=discreet)
            for name, number in zip(names, numbers, strict=True)
        ]
        who = ", ".join(shown) if shown else voice(m.CONSENT_TEAM_UNKNOWN)
        through = self.team.through(voice)
        day = turn.today
        today = voice(m.CONSENT_DATE, month=day.month, day=day.day, year=day.year)
        who_line = voice(m.CONSENT_WHO, date=today, organizations=who, intermediary=through)
        if discreet:
            what = voice(m.CONSENT_WHAT_DISCREET, part=title(voice, session, section))
            return list(pack([who_line, what, voice(m.CONSENT_DETAILS_OFFER)]))
        labels = part_contents(voice, self.flows.sections, section, session.plan)
        items = labels or [voice(m.CONSENT_NOTHING_YET)]
        one_line = f"{voice(m.CONSENT_WHAT)} {', '.join(items)}."
        if fits(one_line):
            return list(pack([who_line, one_line]))
        return list(pack([who_line, voice(m.CONSENT_WHAT), *[f"- {i}" for i in items]]))


def part_contents(voice: Voice, sections: Sequence[Flow], section: Flow, plan: Plan) -> list[str]:
    """Exactly what a part holds, by the labels of its answers: this is the consent itself,
    asked now, so even a shared phone's DETAILS and MY PLAN page name them (the private
    answers get their own question). The recovery part (Part 2) takes with it the private
    recovery answers of other parts."""
    labels = [voice(s.label) for s in answered_route(section, plan)]
    if section.sensitive:
        labels += [
            voice(s.label)
            for f in sections
            for s in f.steps
            if s.part2 and plan.has_answer(f.id, s.id)
        ]
    return labels


def record(step: Step, value: Any) -> AnswerRecord:
    typed: Any = value
    if value is not None and step.type == "date":
        typed = date.fromisoformat(value)
    elif value is not None and step.type == "time":
        typed = time.fromisoformat(value)
    return AnswerRecord(step.id, step.ask, step.type, typed, skipped=value is None)


def kept_back(plan: Plan, flow: Flow, step: Step) -> bool:
    """On a shared phone, is this answer (or its label) kept out of texts?"""
    answer = plan.answer(flow.id, step.id)
    return plan.shared_phone() and (flow.sensitive or step.discreet(answer))


def title(voice: Voice, session: Session, flow: Flow) -> str:
    """A part's title; on a shared phone, a sensitive part (recovery) is named by number."""
    if flow.sensitive and session.plan.shared_phone():
        return voice(m.PART_NUMBER, number=flow.number)
    return voice(flow.title)
