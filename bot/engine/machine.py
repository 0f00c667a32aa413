"""The conversation engine: step(session, text, now) -> (session, replies, events). Pure.

Order of checks for every inbound text, like fallbacks before a state's own handlers:
opted-out silence, STOP, HELP, crisis words, first contact, commands, then the answer
the current mode expects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.engine import messages as m
from bot.engine.answers import ZipInfo, ZipLookup
from bot.engine.crisis import CRISIS_DIR, CrisisDetector, Finding, load_detector
from bot.engine.events import (
    HELP_FLAG,
    PARENT_ASKED,
    PRIVATE_HELP,
    AnswerChanged,
    AnswerRecord,
    ConsentChanged,
    CrisisDetected,
    ErasureRequested,
    Event,
    HandoffRequested,
    LanguageChanged,
    OptedIn,
    OptedOut,
    PlanLinkRequested,
    RecordRequested,
    ReminderCancelRequested,
    ReminderReplied,
    ReminderRequested,
    RemindersListRequested,
    ResourceSaved,
    SectionCompleted,
    SharingWithheld,
)
from bot.engine.keywords import REMINDER_REPLIES, KeywordTable, Match, fold
from bot.engine.loader import END, FlowSet
from bot.engine.model import Flow, Step
from bot.engine.navigation import answered_route, applies, lookup_for, next_open, path
from bot.engine.needs import set_status, update_from_answers
from bot.engine.parsing import Option, ParseFailed, parse_choice, parse_int, parse_yes_no
from bot.engine.render import Voice, fits, join_turn, pack
from bot.engine.resources import ResourceFinder, no_resources
from bot.engine.session import (
    HISTORY_CAP,
    SHARED_PHONE,
    TOPIC_PERSON,
    TOPIC_PLAN,
    Mode,
    Plan,
    Session,
)
from bot.engine.sharing import (
    NO_TEAM,
    WITHHELD,
    TeamView,
    recipients,
    role_label,
    withheld,
    without_role,
)
from bot.engine.texts import Translator
from bot.engine.today import local_today
from bot.engine.understand import read_answer

CRISIS_TEXTS = {
    "emergency": m.CRISIS_EMERGENCY,
    "suicide": m.CRISIS_SUICIDE,
    "baby": m.CRISIS_BABY,
    "violence": m.CRISIS_VIOLENCE,
}
HINTS = {
    "yes_no": m.HINT_YES_NO,
    "choice": m.HINT_CHOICE,
    "multi": m.HINT_MULTI,
    "date": m.HINT_DATE,
    "time": m.HINT_TIME,
    "phone": m.HINT_PHONE,
    "zip": m.HINT_ZIP,
    "number": m.HINT_NUMBER,
    "text": m.HINT_TEXT,
}
REASONS = {
    "too_early": m.DATE_TOO_EARLY,
    "too_late": m.DATE_TOO_LATE,
    "unknown_zip": m.UNKNOWN_ZIP,
    "too_long": m.TOO_LONG,
    "out_of_range": None,
}


# A reminder's C / R / RIDE are understood for this long after it was sent.
REMINDER_REPLY_WINDOW = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    program: str = "Safe Start"
    plan_name: str = "Plan of Safe Care"
    default_timezone: str = "America/New_York"
    welcome_back_after: timedelta = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class StepResult:
    session: Session
    replies: list[str]
    events: list[Event]


@dataclass(slots=True)
class _Turn:
    """One inbound text being handled: the session copy, what to say, what happened."""

    session: Session
    now: datetime
    voice: Voice
    default_timezone: str
    replies: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # The parent's text asked for a person or for help (TALK, HELP, STOP, crisis words).
    to_person: bool = False
    # Texts sent after the others and never joined with them: the offer of other languages,
    # whose letters (PORTUGUÊS) would make the whole welcome a UCS-2 SMS.
    apart: list[str] = field(default_factory=list)

    def say(self, message: str, **values: Any) -> None:
        self.replies.append(self.voice(message, **values))

    @property
    def today(self) -> date:
        return local_today(self.now, self.session.timezone, self.default_timezone)


class Engine:
    """Runs flows for one program. Build once at start-up; step() is pure and thread-safe."""

    def __init__(
        self,
        flows: FlowSet,
        translator: Translator,
        settings: EngineSettings | None = None,
        zip_lookup: ZipLookup | None = None,
        resource_finder: ResourceFinder | None = None,
        team: TeamView | None = None,
        crisis: CrisisDetector | None = None,
    ) -> None:
        self.flows = flows
        self.translator = translator
        self.settings = settings or EngineSettings()
        self.zip_lookup: ZipLookup = zip_lookup or (lambda _zip: None)
        self.resource_finder: ResourceFinder = resource_finder or no_resources
        # The care-team directory's view: set by the app once the directory is loaded.
        self.team: TeamView = team or NO_TEAM
        self.keywords = KeywordTable(translator)
        self.crisis = crisis or load_detector(CRISIS_DIR, translator.locales)
        self._consents = [(f, s) for f in flows.flows.values() for s in f.steps if s.consent]

    # ---- entry point -------------------------------------------------------------------

    def step(self, session: Session, text: str, now: datetime) -> StepResult:
        """Handle one inbound text. `session` is not changed; the new one is returned."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        turn = _Turn(session.copy(), now, self._voice(session), self.settings.default_timezone)
        self._handle(turn, text)
        if len(turn.replies) > 1 and not any(isinstance(e, CrisisDetected) for e in turn.events):
            # One text per turn where it fits. Crisis numbers keep a text of their own.
            turn.replies = join_turn(turn.replies)
        turn.replies += turn.apart
        turn.session.last_seen = stamp = now.isoformat()
        if not any(isinstance(e, ErasureRequested) for e in turn.events):
            _remember(session, turn, text, stamp)
        return StepResult(turn.session, turn.replies, turn.events)

    def _voice(self, session: Session) -> Voice:
        name = session.plan.answer("onboarding", "name")
        return Voice(
            self.translator,
            session.locale,
            self.settings.program,
            self.settings.plan_name,
            str(name) if name else "",
        )

    def _handle(self, turn: _Turn, text: str) -> None:
        session = turn.session
        folded = fold(text[:500])
        match = self.keywords.command(folded)
        command = match.command if match else None
        turn.to_person = command in _TO_PERSON
        finding = None if command in ("stop", "start", "help") else self.crisis.find(text)
        if session.status == "opted_out":
            if command == "start":
                self._opt_in(turn, folded)
            elif command == "help":
                turn.say(m.HELP_OPTED_OUT)
                turn.say(m.SUPPORT_NOT_REPORT)
            elif finding is not None and finding.concern != "relapse":
                # Silence after STOP, except that someone in crisis is never left alone: the
                # on-call person hears of it and this one reply (to their own text) gives the
                # numbers. They stay opted out.
                self._crisis(turn, finding)
            return
        if command == "stop":
            session.status = "opted_out"
            turn.events.append(OptedOut(folded))
            turn.say(m.OPTED_OUT)
            return
        if command == "help":
            turn.say(m.HELP)
            turn.say(m.SUPPORT_NOT_REPORT)
            self._prompt(turn)
            return
        if finding is not None and finding.concern != "relapse":
            self._crisis(turn, finding)
            return
        if session.status == "new":
            greeting_locale = self.keywords.language_of_greeting(folded)
            if greeting_locale is not None:
                self._set_locale(turn, greeting_locale)
            self._first_contact(turn)
            return
        if session.status == "declined":
            self._declined(turn, text, command)
            return
        if self._handed_off(turn):
            return  # a person from the team is texting with the parent: the bot stays quiet
        if finding is not None and session.status == "active":
            self._relapse(turn)
            return
        listing, session.listing = session.listing, None
        if listing is not None and self._pick(turn, listing, folded, command):
            return
        if self._welcome_back(turn, command):
            return
        if match is not None and command != "start" and self._command(turn, match):
            return
        self._answer(turn, text)

    # ---- crisis and relapse ------------------------------------------------------------

    def _crisis(self, turn: _Turn, finding: Finding) -> None:
        """Numbers to call at once, an alert to the team's on-call person, then the question."""
        session = turn.session
        turn.to_person = True
        session.plan.flags["crisis"] = turn.now.isoformat()
        turn.events.append(CrisisDetected(finding.concern, session.flow, session.step))
        if finding.concern == "emergency" and session.plan.shared_phone():
            turn.say(m.CRISIS_EMERGENCY_PRIVATE)
        else:
            turn.say(CRISIS_TEXTS[finding.concern])
        if session.status == "opted_out":
            turn.say(m.CRISIS_FOLLOW_OPTED_OUT)
            return
        turn.say(m.CRISIS_FOLLOW)
        if session.status == "active":
            self._prompt(turn)

    def _relapse(self, turn: _Turn) -> None:
        """A return to use: kind words and the offer of a person. Nothing is told to anyone
        unless the parent says yes (then it is a TALK, with no word of why)."""
        shared = turn.session.plan.shared_phone()
        turn.say(m.RELAPSE_OFFER_PRIVATE if shared else m.RELAPSE_OFFER)
        turn.session.listing = {"kind": "relapse", "items": []}

    def _relapse_answer(self, turn: _Turn, text: str) -> bool:
        if text.isdigit():
            return False  # a number answers the question, not the offer
        try:
            wanted = parse_yes_no(text, turn.session.locale)
        except ParseFailed:
            return False  # not an answer to the offer: handled as usual
        if wanted:
            self._talk(turn)
        else:
            turn.say(m.RELAPSE_DECLINED)
            self._prompt(turn)
        return True

    # ---- status changes ----------------------------------------------------------------

    def _opt_in(self, turn: _Turn, keyword: str) -> None:
        session = turn.session
        turn.events.append(OptedIn(keyword))
        if session.mode == "idle" and session.flow is None and not session.plan.answers:
            session.status = "new"
            self._first_contact(turn)
            return
        session.status = "active"
        turn.say(m.OPTED_IN)
        self._prompt(turn)

    def _first_contact(self, turn: _Turn) -> None:
        session = turn.session
        onboarding = self.flows.onboarding
        session.status = "active"
        self._goto(session, onboarding, onboarding.steps[0].id)
        self._prompt(turn)
        turn.say(m.SUPPORT_NOT_REPORT)
        offers = [
            self.translator.gettext(loc, m.LANGUAGE_OFFER)
            for loc in self.translator.locales
            if loc != session.locale
        ]
        if offers:
            turn.apart.append(" ".join(offers))

    def _declined(self, turn: _Turn, text: str, command: str | None) -> None:
        try:
            agreed = command == "start" or parse_yes_no(text, turn.session.locale)
        except ParseFailed:
            agreed = False
        if not agreed:
            turn.say(m.NOT_STARTED)
            return
        self._first_contact(turn)

    def _welcome_back(self, turn: _Turn, command: str | None) -> bool:
        session = turn.session
        if command is not None or session.last_seen is None:
            return False
        away = turn.now - datetime.fromisoformat(session.last_seen)
        if away < self.settings.welcome_back_after:
            return False
        name = turn.voice.name
        turn.say(m.WELCOME_BACK, name_part=f", {name}" if name else "")
        self._prompt(turn, menu=True)
        return True

    # ---- commands ----------------------------------------------------------------------

    def _command(self, turn: _Turn, match: Match) -> bool:
        """Run a command; False when the text is not one here (a plain answer instead)."""
        session = turn.session
        handlers: dict[str, Callable[[], None]] = {
            "menu": lambda: self._menu(turn),
            "back": lambda: self._back(turn),
            "skip": lambda: self._skip(turn),
            "review": lambda: self._review(turn),
            "change": lambda: self._change(turn, match.argument),
            "restart": lambda: self._ask_restart(turn),
            "talk": lambda: self._talk(turn),
            "language": lambda: self._switch_language(turn, match.argument),
            "reminder": lambda: self._start_reminder(turn),
            "confirm": lambda: self._reminder_reply(turn, "confirm", m.REMINDER_CONFIRMED),
            "reschedule": lambda: self._reminder_reply(turn, "reschedule", m.REMINDER_RESCHEDULE),
            "ride": lambda: self._reminder_reply(turn, "ride", m.REMINDER_RIDE),
            "reminders_off": lambda: self._reminders_switch(turn, off=True),
            "reminders_on": lambda: self._reminders_switch(turn, off=False),
            "sharing": lambda: self._show_sharing(turn),
            "stop_sharing": lambda: self._stop_sharing(turn),
            "reminders_list": lambda: self._list_reminders(turn),
            "detailed_on": lambda: self._detailed(turn, on=True),
            "detailed_off": lambda: self._detailed(turn, on=False),
            "private_on": lambda: self._private_mode(turn, on=True),
            "private_off": lambda: self._private_mode(turn, on=False),
            "needs": lambda: self._show_needs(turn),
            "saved": lambda: self._show_saved(turn),
            "my_record": lambda: self._my_record(turn),
            "my_plan": lambda: self._my_plan(turn),
            "delete_data": lambda: self._ask_erase(turn),
        }
        onboarding = session.flow == self.flows.onboarding.id and session.mode == "ask"
        if onboarding and match.command in ("menu", "reminder"):
            turn.say(m.MENU_FINISH_ONBOARDING)
            self._prompt(turn)
            return True
        if match.command in REMINDER_REPLIES and not self._reminder_waiting(session, turn.now):
            return False  # "C" with no reminder waiting is an ordinary answer
        handler = handlers.get(match.command)
        if handler is None:
            return False
        handler()
        return True

    def _menu(self, turn: _Turn) -> None:
        turn.session.mode = "menu"
        turn.session.tries = 0
        self._prompt(turn, menu=True)

    def _back(self, turn: _Turn) -> None:
        """Undo the last answer of the part being filled in; never step into another part
        (BACK into a finished reminder would make it a second time). The one way across: from
        the first question after the welcome questions back to the last of them."""
        session = turn.session
        inside = session.flow if session.mode in ("ask", "readback", "fix") else None
        mine = [i for i, (flow_id, _) in enumerate(session.trail) if flow_id == inside]
        welcome = self.flows.onboarding.id
        if not mine and inside and session.trail and session.trail[-1][0] == welcome:
            mine = [len(session.trail) - 1]
        if not mine:
            turn.say(m.NOTHING_TO_UNDO)
            self._prompt(turn)
            return
        flow_id, step_id = session.trail.pop(mine[-1])
        answers = session.plan.answers.get(flow_id, {})
        answers.pop(step_id, None)
        skipped = session.plan.skipped.get(flow_id, [])
        if step_id in skipped:
            skipped.remove(step_id)
        self._mark_changed(session, flow_id)
        self._goto(session, self.flows[flow_id], step_id)
        self._prompt(turn)

    def _skip(self, turn: _Turn) -> None:
        session = turn.session
        step = self._current_step(session)
        if step is None and session.mode in _FREE_MODES:
            turn.say(m.MENU_AGAIN)  # nothing to skip: the short way on, never silence
            return
        if step is None:
            self._prompt(turn)
            return
        if step.required:
            turn.say(m.SKIP_REQUIRED)
            self._prompt(turn)
            return
        turn.say(m.SKIPPED)
        self._store(turn, self.flows[session.flow or ""], step, None)

    def _review(self, turn: _Turn) -> None:
        session = turn.session
        flow = self.flows[session.flow] if session.flow else None
        if flow is None or session.mode not in ("ask", "readback", "fix"):
            turn.say(m.REVIEW_OUTSIDE)
            self._prompt(turn)
            return
        steps = answered_route(flow, session.plan)
        session.review = [s.id for s in steps]
        if not steps:
            turn.say(m.REVIEW_EMPTY)
        else:
            answers = session.plan.answers.get(flow.id, {})
            discreet = session.plan.shared_phone()
            turn.replies.extend(turn.voice.readback(flow, steps, answers, discreet=discreet))
            turn.say(m.REVIEW_CHANGE)
        if session.mode == "ask":
            self._prompt(turn)

    def _change(self, turn: _Turn, argument: str) -> None:
        session = turn.session
        if session.flow is None:
            turn.say(m.CHANGE_ONLY_IN_PLAN)
            self._prompt(turn)
            return
        flow = self.flows[session.flow]
        items = session.review or [s.id for s in answered_route(flow, session.plan)]
        number = int(argument) if argument.isdigit() else 0
        if not 1 <= number <= len(items):
            turn.say(m.CHANGE_WHICH)
            return
        self._goto(session, flow, items[number - 1])
        self._prompt(turn)

    def _ask_restart(self, turn: _Turn) -> None:
        session = turn.session
        if session.mode != "confirm_restart":
            session.resume = session.mode
        session.mode = "confirm_restart"
        turn.say(m.RESTART_CONFIRM)

    def _talk(self, turn: _Turn) -> None:
        session = turn.session
        session.handoff = True
        session.plan.flags["handoff"] = turn.now.isoformat()
        turn.events.append(HandoffRequested(PARENT_ASKED, session.flow, session.step))
        turn.say(m.TALK)

    def _ask_for_help(self, turn: _Turn) -> None:
        """A YES to "someone from your team to reach out": an open request for the on-call
        member, like TALK, raised now whatever the parent later shares. Only the request
        goes out; no answer, section or step rides along."""
        session = turn.session
        session.handoff = True
        session.plan.flags.setdefault("handoff", turn.now.isoformat())
        session.plan.flags[HELP_FLAG] = turn.now.isoformat()
        turn.events.append(HandoffRequested(PRIVATE_HELP))
        turn.say(m.HELP_ASKED)

    def _set_locale(self, turn: _Turn, locale: str) -> None:
        turn.session.locale = locale
        turn.voice = self._voice(turn.session)

    def _switch_language(self, turn: _Turn, locale: str) -> None:
        """LANGUAGE asks which; ESPAÑOL, ENGLISH... switch at once and repeat the question."""
        if not locale:
            self._ask_language(turn)
            return
        session = turn.session
        if session.mode == "language":
            session.mode = session.resume or "idle"
            session.resume = None
        self._set_locale(turn, locale)
        turn.events.append(LanguageChanged(locale))
        turn.say(m.LANGUAGE_SET)
        if session.status == "new":
            self._first_contact(turn)
        else:
            self._prompt(turn)

    def _ask_language(self, turn: _Turn) -> None:
        session = turn.session
        if len(self.translator.locales) < 2:
            turn.say(m.LANGUAGE_SET)
            self._prompt(turn)
            return
        if session.mode != "language":
            session.resume = session.mode
        session.mode = "language"
        self._prompt(turn)

    def note_reminder(
        self, session: Session, reminder_id: str, kind: str, at: datetime, now: datetime
    ) -> Session:
        """The session after a reminder was texted: C / R / RIDE now answer that reminder."""
        noted = session.copy()
        noted.reminder = {
            "id": reminder_id,
            "kind": kind,
            "at": at.isoformat(),
            "sent_at": now.isoformat(),
        }
        return noted

    def _reminder_waiting(self, session: Session, now: datetime) -> bool:
        if session.reminder is None:
            return False
        sent = datetime.fromisoformat(str(session.reminder["sent_at"]))
        return now - sent <= REMINDER_REPLY_WINDOW

    def _reminder_reply(self, turn: _Turn, action: str, reply: str) -> None:
        """Answer the waiting reminder, then go back to whatever the parent was doing."""
        session = turn.session
        reminder_id = str(session.reminder["id"]) if session.reminder else None
        turn.events.append(ReminderReplied(reminder_id, action))
        if action in ("reschedule", "ride"):
            # The reply promises that the team hears of it: the dashboard flag and an alert
            # to the on-call person (the request only, as for TALK).
            session.plan.flags[action] = turn.now.isoformat()
            turn.events.append(HandoffRequested(action, session.flow, session.step))
        session.reminder = None
        turn.say(reply)
        self._prompt(turn)

    def _reminders_switch(self, turn: _Turn, *, off: bool) -> None:
        session = turn.session
        if off:
            session.plan.prefs["reminders_off"] = True
        else:
            session.plan.prefs.pop("reminders_off", None)
        turn.events.append(ReminderReplied(None, "off" if off else "on"))
        turn.say(m.REMINDERS_OFF if off else m.REMINDERS_ON)
        self._prompt(turn)

    def _consent_details(self, turn: _Turn, section: Flow) -> list[str]:
        """Before the parent picks who may see a part: which organizations receive it,
        through whom, exactly what it holds, and today's date (42 CFR 2.31)."""
        session, voice = turn.session, turn.voice
        code = session.plan.answer(self.flows.onboarding.id, "zip")
        where = self.zip_lookup(str(code)) if code else None
        names = self.team.organizations(str(code), where.state if where else None) if code else ()
        who = ", ".join(names) if names else voice(m.CONSENT_TEAM_UNKNOWN)
        through = self.team.intermediary or self.settings.program
        # Every answer the part holds, named even on a shared phone: this is the consent
        # itself, asked now (the private answers get their own question).
        labels = [voice(s.label) for s in answered_route(section, session.plan)]
        if section.sensitive:  # Part 2: with it go private recovery answers of other parts
            labels += [
                voice(s.label)
                for f in self.flows.sections
                for s in f.steps
                if s.part2 and session.plan.has_answer(f.id, s.id)
            ]
        day = turn.today
        today = voice(m.CONSENT_DATE, month=day.month, day=day.day, year=day.year)
        who_line = voice(m.CONSENT_WHO, date=today, organizations=who, intermediary=through)
        items = labels or [voice(m.CONSENT_NOTHING_YET)]
        one_line = f"{voice(m.CONSENT_WHAT)} {', '.join(items)}."
        if fits(one_line):
            return list(pack([who_line, one_line]))
        return list(pack([who_line, voice(m.CONSENT_WHAT), *[f"- {i}" for i in items]]))

    def _same_people(self, session: Session, step: Step) -> list[str] | None:
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
            for f, s in self._consent_steps()
            if s.type == "multi" and s.shares and not self.flows[s.shares].sensitive
        }
        for flow_id, step_id in reversed(session.trail):
            if step_id not in answered or step_id == step.id:
                continue
            value = session.plan.answer(flow_id, step_id)
            if isinstance(value, list) and value and set(value) <= choices:
                return [str(v) for v in value]
        return None

    def _consent_given(self, session: Session) -> bool:
        """Has the parent answered any sharing question yet?"""
        return any(session.plan.has_answer(f.id, s.id) for f, s in self._consent_steps())

    def _consent_steps(self) -> list[tuple[Flow, Step]]:
        return list(self._consents)  # flows never change once loaded

    def _show_sharing(self, turn: _Turn) -> None:
        """Who sees what, one numbered line per recipient; a number stops sharing with one."""
        session = turn.session
        steps = self._consent_steps()
        shown = recipients(steps, session.plan)
        if not shown:
            turn.say(m.SHARING_NONE)
            self._prompt(turn)
            return
        lines = [turn.voice(m.SHARING_HEADER)] + [
            turn.voice(
                m.SHARING_ITEM,
                number=number,
                who=turn.voice(role_label(steps, role)),
                parts=", ".join(turn.voice(step.label) for step in parts),
            )
            for number, (role, parts) in enumerate(shown, 1)
        ]
        items: list[Any] = [role for role, _ in shown]
        by_org = self._parts_by_organization(session)
        if by_org:
            lines.append(turn.voice(m.SHARING_ORGANIZATIONS))
            for number, (org, name, parts) in enumerate(by_org, len(items) + 1):
                names = ", ".join(turn.voice(step.label) for step in parts)
                lines.append(turn.voice(m.SHARING_ITEM, number=number, who=name, parts=names))
                items.append({"organization": org, "name": name})
        turn.replies.extend(pack(lines))
        turn.say(m.SHARING_HOW_TO_STOP)
        session.listing = {"kind": "sharing", "items": items}

    def _parts_by_organization(self, session: Session) -> list[tuple[str, str, list[Step]]]:
        """Each organization serving the parent (from the directory) and the parts it gets:
        every part shared with some role, less those stopped for that organization."""
        code = session.plan.answer(self.flows.onboarding.id, "zip")
        if not code:
            return []
        where = self.zip_lookup(str(code))
        orgs = self.team.named(str(code), where.state if where else None)
        shared = {
            s.id: s for _, steps in recipients(self._consent_steps(), session.plan) for s in steps
        }
        stopped = withheld(session.plan)
        found = []
        for org, name in orgs:
            parts = [s for sid, s in shared.items() if org not in stopped.get(sid, [])]
            if parts:
                found.append((org, name, parts))
        return found

    def _ask_which_part_for(self, turn: _Turn, org: str, name: str) -> None:
        """One organization: stop one of the parts it gets, or all of them."""
        parts = next((p for o, _, p in self._parts_by_organization(turn.session) if o == org), [])
        lines = [turn.voice(m.SHARING_WHICH_PART, who=name)]
        lines += [f"{n}. {self._part_name(turn, step)}" for n, step in enumerate(parts, 1)]
        lines.append(f"{len(parts) + 1}. {turn.voice(m.SHARING_ALL_PARTS)}")
        turn.replies.extend(pack(lines))
        items = [[org, name, step.id] for step in parts] + [[org, name, ""]]
        turn.session.listing = {"kind": "sharing_org_part", "items": items}

    def _withhold(self, turn: _Turn, org: str, name: str, only: str | None) -> None:
        """Stop one part (or every part) going to one organization, from now on."""
        plan = turn.session.plan
        stopped = withheld(plan)
        shared = [s for _, steps in recipients(self._consent_steps(), plan) for s in steps]
        for step in dict.fromkeys(shared):
            if (only is None or step.id == only) and org not in stopped.get(step.id, []):
                stopped.setdefault(step.id, []).append(org)
                turn.events.append(SharingWithheld(step.id, org))
        plan.prefs[WITHHELD] = {k: list(v) for k, v in stopped.items()}
        if only is None:
            turn.say(m.SHARING_STOPPED_ONE, who=name)
        else:
            part = next(s for _, s in self._consent_steps() if s.id == only)
            turn.say(m.SHARING_STOPPED_PART, who=name, part=self._part_name(turn, part))
        self._prompt(turn)

    def _ask_which_part(self, turn: _Turn, role: str) -> None:
        """A recipient who sees several parts: stop one part, or all of them."""
        parts = dict(recipients(self._consent_steps(), turn.session.plan)).get(role, [])
        if len(parts) <= 1:
            self._stop_sharing(turn, role)
            return
        who = turn.voice(role_label(self._consent_steps(), role))
        lines = [turn.voice(m.SHARING_WHICH_PART, who=who)]
        lines += [f"{n}. {self._part_name(turn, step)}" for n, step in enumerate(parts, 1)]
        lines.append(f"{len(parts) + 1}. {turn.voice(m.SHARING_ALL_PARTS)}")
        turn.replies.extend(pack(lines))
        items = [[role, step.id] for step in parts] + [[role, ""]]
        turn.session.listing = {"kind": "sharing_part", "items": items}

    def _part_name(self, turn: _Turn, step: Step) -> str:
        """The part a consent step is about, by its title (shared phone: by number)."""
        if step.shares and step.shares in self.flows.flows:
            return _title(turn.voice, turn.session, self.flows[step.shares])
        return turn.voice(step.label)

    def _stop_sharing(self, turn: _Turn, role: str | None = None, only: str | None = None) -> None:
        """Revoke sharing with one role (for one consent step `only`, or all), or with
        everyone; it holds for every later delivery."""
        session = turn.session
        changed: dict[str, Flow] = {}
        for flow, step in self._consent_steps():
            if not session.plan.has_answer(flow.id, step.id):
                continue
            if only is not None and step.id != only:
                continue
            answers = session.plan.answers[flow.id]
            if role is not None and role not in (answers[step.id] or []):
                continue
            revoked = without_role(step, answers[step.id], role)
            if answers[step.id] != revoked:
                turn.events.append(AnswerChanged(flow.id, step.id, answers[step.id], revoked))
                answers[step.id] = revoked
                changed[flow.id] = flow
        for flow in changed.values():
            turn.events.append(ConsentChanged(flow.id, self._records(flow, session)))
        if role is None:
            turn.say(m.SHARING_STOPPED)
        elif only is not None:
            who = turn.voice(role_label(self._consent_steps(), role))
            part = next(s for _, s in self._consent_steps() if s.id == only)
            turn.say(m.SHARING_STOPPED_PART, who=who, part=self._part_name(turn, part))
        else:
            who = turn.voice(role_label(self._consent_steps(), role))
            turn.say(m.SHARING_STOPPED_ONE, who=who)
        self._prompt(turn)

    def _records(self, flow: Flow, session: Session) -> tuple[AnswerRecord, ...]:
        """The flow's answers as typed records: the whole route, or every answered step."""
        answers = session.plan.answers.get(flow.id, {})
        route = [s for s in path(flow, session.plan) if s in answers]
        if not flow.emits or len(route) == len(answers):
            return tuple(self._record(flow.step(s), answers[s]) for s in route)
        # Consent answered just in time, before the rest of the flow: every answer counts.
        return tuple(self._record(s, answers[s.id]) for s in flow.steps if s.id in answers)

    # ---- lists the parent can answer with a number -----------------------------------

    def _pick(self, turn: _Turn, listing: dict[str, Any], folded: str, command: str | None) -> bool:
        """A reply to the numbered list just shown; False when it is not one (handled as usual)."""
        kind = str(listing.get("kind"))
        items: list[Any] = list(listing.get("items", []))
        if kind == "erase":
            self._answer_erase(turn, int(items[0]), folded, command)
            return True
        if kind == "relapse":
            return command in (None, "start") and self._relapse_answer(turn, folded)
        if not folded.isdigit():
            return False
        number = int(folded)
        if kind == "reminders":
            turn.events.append(ReminderCancelRequested(number))
            return True
        if not 1 <= number <= len(items):
            turn.say(m.NUMBER_NOT_LISTED)
            turn.session.listing = listing
            return True
        item = items[number - 1]
        if kind == "offers":
            turn.session.listing = listing  # another number saves another place
            self._save_offer(turn, item)
        elif kind == "needs":
            turn.session.listing = {"kind": "need_action", "items": [item, item]}
            turn.say(m.NEED_ASK_DONE, need=self._need_label(turn, str(item)))
        elif kind == "need_action" and number in (1, 2):
            self._parent_need_status(turn, str(item), done=number == 1)
        elif kind == "sharing" and isinstance(item, dict):
            self._ask_which_part_for(turn, str(item["organization"]), str(item["name"]))
        elif kind == "sharing":
            self._ask_which_part(turn, str(item))
        elif kind == "sharing_org_part":
            org, name, only = item
            self._withhold(turn, str(org), str(name), str(only) or None)
        elif kind == "sharing_part":
            role, only = item
            self._stop_sharing(turn, str(role), only=str(only) or None)
        else:
            return False
        return True

    def _need_label(self, turn: _Turn, kind: str) -> str:
        label = m.NEED_LABELS.get(kind)
        return turn.voice(label) if label else kind.replace("_", " ")

    def _unsaid(self, session: Session, kind: str) -> bool:
        """Is this need never named in a text? Yes when a private answer shows it ("we won't
        text it back"), and on a shared phone when a sensitive answer does."""
        need = session.plan.needs.get(kind)
        source = need.get("source") if need else None
        if not isinstance(source, list) or len(source) != 2:
            return False
        flow = self.flows.flows.get(str(source[0]))
        step = next((s for s in flow.steps if s.id == source[1]), None) if flow else None
        if flow is None or step is None:
            return False
        if step.private:
            return True
        return _kept_back(session.plan, flow, step)

    def _show_needs(self, turn: _Turn) -> None:
        needs = turn.session.plan.needs
        kinds = [k for k in needs if not self._unsaid(turn.session, k)]
        if not kinds:
            turn.say(m.SEE_PRIVATE if needs else m.NEEDS_NONE)
            self._prompt(turn)
            return
        lines = [turn.voice(m.NEEDS_HEADER)] + [
            turn.voice(
                m.NEEDS_ITEM,
                number=number,
                need=self._need_label(turn, kind),
                status=turn.voice(m.NEED_STATUS[str(needs[kind]["status"])]),
            )
            for number, kind in enumerate(kinds, 1)
        ]
        if len(kinds) < len(needs):
            lines.append(turn.voice(m.SEE_PRIVATE))
        turn.replies.extend(pack(lines))
        turn.say(m.NEEDS_HOW)
        turn.session.listing = {"kind": "needs", "items": kinds}

    def _parent_need_status(self, turn: _Turn, kind: str, *, done: bool) -> None:
        plan = turn.session.plan
        current = plan.needs.get(kind, {}).get("status")
        status: Any = ("connected" if current == "referred" else "have") if done else "declined"
        event = set_status(plan, kind, status, turn.now.isoformat(), "parent")
        if event is not None:
            turn.events.append(event)
        turn.say(m.NEED_DONE if done else m.NEED_NOT_NEEDED)
        self._prompt(turn)

    def _offer_help(self, turn: _Turn, kinds: list[str]) -> None:
        """Local services for needs just found, numbered across needs; a number saves one."""
        session = turn.session
        zip_code = session.plan.answer(self.flows.onboarding.id, "zip")
        where = self.zip_lookup(str(zip_code)) if zip_code else None
        lines: list[str] = []
        items: list[list[str]] = []
        for kind in kinds:
            if self._unsaid(session, kind):
                continue
            listed = {item[0] for item in items}  # a place offered for two needs is listed once
            found = self.resource_finder(kind, where, session.locale)
            offers = [o for o in found if o.id not in listed][:3]
            if not offers:
                continue
            group = [turn.voice(m.OFFERS_HEADER, need=self._need_label(turn, kind))]
            for offer in offers:
                items.append([offer.id, kind, offer.name, offer.phone])
                group.append(offer.line(len(items)))
            lines.append("\n".join(group))  # a heading never ends a text without its places
        if not items:
            return
        lines.append(turn.voice(m.OFFERS_HOW))
        turn.replies.extend(pack(lines))
        session.listing = {"kind": "offers", "items": items}

    def _save_offer(self, turn: _Turn, item: list[str]) -> None:
        service_id, kind, name, phone = item
        saved = turn.session.plan.saved
        if all(entry.get("id") != service_id for entry in saved):
            saved.append(
                {
                    "id": service_id,
                    "need": kind,
                    "name": name,
                    "phone": phone,
                    "saved_at": turn.now.isoformat(),
                }
            )
            turn.events.append(ResourceSaved(service_id, kind))
        turn.say(m.OFFER_SAVED)
        self._prompt(turn)

    def _show_saved(self, turn: _Turn) -> None:
        session = turn.session
        saved = [s for s in session.plan.saved if not self._unsaid(session, str(s.get("need")))]
        if not saved:
            turn.say(m.SEE_PRIVATE if session.plan.saved else m.SAVED_NONE)
        else:
            lines = [turn.voice(m.SAVED_HEADER)] + [
                f"{n}. {item['name']}, {item['phone']}" if item.get("phone") else item["name"]
                for n, item in enumerate(saved, 1)
            ]
            turn.replies.extend(pack(lines))
        self._prompt(turn)

    # ---- the parent's rights: reminders list, detail, record, erasure -----------------

    def _list_reminders(self, turn: _Turn) -> None:
        """The reminders side texts the list (it knows what is coming); a number cancels one."""
        turn.events.append(RemindersListRequested())
        turn.session.listing = {"kind": "reminders", "items": []}

    def _private_mode(self, turn: _Turn, *, on: bool) -> None:
        """PRIVATE ON / OFF: shared-phone mode, whatever onboarding said."""
        turn.session.plan.prefs[SHARED_PHONE] = on
        turn.say(m.PRIVATE_ON if on else m.PRIVATE_OFF)
        self._prompt(turn)

    def _detailed(self, turn: _Turn, *, on: bool) -> None:
        prefs = turn.session.plan.prefs
        if on and turn.session.plan.shared_phone():
            turn.say(m.DETAILED_SHARED)
            self._prompt(turn)
            return
        if on:
            prefs["detailed_reminders"] = True
        else:
            prefs.pop("detailed_reminders", None)
        turn.say(m.DETAILED_ON if on else m.DETAILED_OFF)
        self._prompt(turn)

    def _my_record(self, turn: _Turn) -> None:
        turn.events.append(RecordRequested())
        turn.say(m.RECORD_COMING)
        self._prompt(turn)

    def _my_plan(self, turn: _Turn) -> None:
        turn.events.append(PlanLinkRequested())
        turn.say(m.PLAN_LINK_COMING)
        self._prompt(turn)

    def _ask_erase(self, turn: _Turn) -> None:
        turn.session.listing = {"kind": "erase", "items": [1]}
        turn.say(m.ERASE_CONFIRM)

    def _answer_erase(self, turn: _Turn, stage: int, folded: str, command: str | None) -> None:
        """DELETE MY DATA, confirmed twice: YES, then the word DELETE."""
        session = turn.session
        if stage == 2 and command == "erase_confirm":
            turn.events.append(ErasureRequested())
            turn.say(m.ERASED)
            turn.session = Session(locale=session.locale)
            return
        try:
            agreed = stage == 1 and parse_yes_no(folded, session.locale)
        except ParseFailed:
            agreed = False
        if agreed:
            session.listing = {"kind": "erase", "items": [2]}
            turn.say(m.ERASE_CONFIRM_AGAIN)
            return
        turn.say(m.ERASE_KEPT)
        self._prompt(turn)

    def _handed_off(self, turn: _Turn) -> bool:
        """True while a team member has the conversation; a claim past its time ends itself."""
        session = turn.session
        claim = session.handoff_claim
        if claim is None:
            return False
        if datetime.fromisoformat(str(claim["until"])) > turn.now:
            return True
        session.handoff_claim = None
        session.handoff = False
        return False

    def _start_reminder(self, turn: _Turn) -> None:
        reminders = next((f for f in self.flows.flows.values() if f.kind == "reminders"), None)
        if reminders is None:
            self._menu(turn)
            return
        turn.session.plan.answers.pop(reminders.id, None)
        self._start_flow(turn, reminders)

    # ---- answers, by mode --------------------------------------------------------------

    def _answer(self, turn: _Turn, text: str) -> None:
        mode = turn.session.mode
        if mode == "ask":
            self._answer_question(turn, text)
        elif mode in ("readback", "fix"):
            self._answer_readback(turn, text)
        elif mode == "menu":
            self._answer_menu(turn, text)
        elif mode == "offer":
            self._answer_offer(turn, text)
        elif mode == "confirm_restart":
            self._answer_restart(turn, text)
        elif mode == "language":
            self._answer_language(turn, text)
        elif mode == "idle":
            self._answer_menu(turn, text)  # a part's number, YES to go on, or one short line
        else:
            self._menu(turn)

    def _answer_question(self, turn: _Turn, text: str) -> None:
        session = turn.session
        step = self._current_step(session)
        if step is None:
            self._menu(turn)
            return
        flow = self.flows[session.flow or ""]
        same = self._same_people(session, step)
        if same is not None and not text.strip()[:1].isdigit():
            try:
                agreed = parse_yes_no(text, session.locale)
            except ParseFailed:
                agreed = None
            if agreed is not None:
                no_one = next(c.value for c in step.choices if c.exclusive)
                self._store(turn, flow, step, same if agreed else [no_one])
                return
        reading = read_answer(
            step,
            text,
            lang=session.locale,
            today=turn.today,
            labels=turn.voice.labels(step),
            zip_lookup=self.zip_lookup,
            keywords=self.keywords,
        )
        if reading.skip:
            self._skip(turn)  # "I don't know yet", "más tarde" where SKIP is offered
            return
        if reading.command is not None and self._command(turn, Match(reading.command, "")):
            return
        if reading.failure == "ambiguous" and len(reading.guesses) > 1 and step.type == "choice":
            self._ask_which(turn, step, reading.guesses)
            return
        if reading.failure is not None or reading.command is not None:
            self._reprompt(turn, step, reading.failure or "not_understood")
            return
        value = reading.value
        if step.sets == "timezone":
            info: ZipInfo | None = self.zip_lookup(str(value))
            session.timezone = info.timezone if info else self.settings.default_timezone
        if flow.kind == "onboarding" and step is flow.steps[0] and value is False:
            session.status = "declined"
            session.mode = "idle"
            turn.say(m.DECLINED)
            return
        self._store(turn, flow, step, value)

    def _store(self, turn: _Turn, flow: Flow, step: Step, value: Any) -> None:
        """Keep an answer (None = skipped) and move to the next open step or the read-back."""
        session = turn.session
        answers = session.plan.answers.setdefault(flow.id, {})
        if step.id in answers and answers[step.id] != value:
            turn.events.append(AnswerChanged(flow.id, step.id, answers[step.id], value))
            self._mark_changed(session, flow.id)
        if step.asks_for_help and value is True and answers.get(step.id) is not True:
            self._ask_for_help(turn)
        answers[step.id] = value
        self._reconcile(turn, step, value)
        skipped = session.plan.skipped.setdefault(flow.id, [])
        if value is None and step.id not in skipped:
            skipped.append(step.id)
        elif value is not None and step.id in skipped:
            skipped.remove(step.id)
        if flow.kind != "onboarding" or step is not flow.steps[0]:
            entry = [flow.id, step.id]
            if entry in session.trail:
                session.trail.remove(entry)  # a changed answer is undone once, at its new place
            session.trail.append(entry)
        session.tries = 0
        if flow.kind == "onboarding":
            turn.voice = self._voice(session)  # the name may have just been given
        self._continue_flow(turn, flow, after_step=step.id)

    def _continue_flow(self, turn: _Turn, flow: Flow, after_step: str | None = None) -> None:
        session = turn.session
        if session.detour is not None and "ConsentChanged" in flow.emits:
            self._continue_detour(turn, flow)
            return
        following = self._next_open(session, flow, after_step)
        if following == END and after_step is not None:
            # BACK can leave an earlier step open; the flow ends only when the whole route is.
            following = self._next_open(session, flow)
        if following != END:
            self._goto(session, flow, following)
            self._prompt(turn)
        elif flow.readback:
            session.mode = "readback"
            session.step = None
            self._prompt(turn)
        else:
            self._finish_flow(turn, flow)

    def _ask_which(self, turn: _Turn, step: Step, guesses: tuple[str, ...]) -> None:
        """ "Did you mean 2 (…) or 3 (…)?": the choices the reply fits, by number."""
        turn.session.tries += 1
        values = [c.value for c in step.choices]
        named = [
            f"{values.index(g) + 1} ({turn.voice.answer(step, g)})" for g in guesses if g in values
        ]
        joined = ", ".join(named[:-1]) + f" {turn.voice(m.OR)} " + named[-1]
        turn.replies.append(turn.voice(m.DID_YOU_MEAN, choices=joined))

    def _reprompt(self, turn: _Turn, step: Step, reason: str) -> None:
        """Kind, escalating re-prompts: a hint, then an example, then a way out."""
        session = turn.session
        session.tries += 1
        voice = turn.voice
        specific = REASONS.get(reason)
        hint = (
            voice(specific, max_length=step.max_length)
            if specific
            else voice(step.hint)
            if step.hint
            else voice(HINTS[step.type], minimum=step.minimum, maximum=step.maximum)
        )
        if session.tries == 1:
            turn.replies.append(f"{voice(m.HINT_PREFIX)} {hint}")
            turn.replies.append(voice.question(step))
        elif session.tries == 2:
            example = voice(step.example) if step.example else hint
            turn.replies.append(f"{voice(m.EXAMPLE_PREFIX)} {example}")
            turn.replies.append(voice.question(step))
        else:
            way_out = m.WAY_OUT_TALK if step.required else m.WAY_OUT_SKIP
            turn.replies.append(f"{voice(m.HINT_PREFIX)} {hint} {voice(way_out)}")

    def _answer_readback(self, turn: _Turn, text: str) -> None:
        session = turn.session
        flow = self.flows[session.flow or ""]
        steps = answered_route(flow, session.plan)
        try:
            number = parse_int(text, session.locale, 1, max(len(steps), 1))
        except ParseFailed:
            number = 0
        if number and steps:  # the prompt asks for an item's number: never yes/no here
            self._goto(session, flow, steps[number - 1].id)
            self._prompt(turn)
            return
        try:
            right = parse_yes_no(text, session.locale)
        except ParseFailed:
            turn.say(m.READBACK_CONFIRM)  # one short question, not the whole read-back again
            return
        if right:
            self._finish_flow(turn, flow)
        else:
            session.mode = "fix"
            session.review = [s.id for s in steps]
            turn.say(m.READBACK_CHANGE_PICK)

    def _finish_flow(self, turn: _Turn, flow: Flow) -> None:
        session = turn.session
        plan = session.plan
        route = path(flow, plan)
        answers = plan.answers.setdefault(flow.id, {})
        for stale in [k for k in answers if k not in route]:
            del answers[stale]  # answers left behind by a changed branch
        records = tuple(self._record(flow.step(s), answers[s]) for s in route if s in answers)
        if flow.kind == "reminders":
            turn.events.append(ReminderRequested({r.key: r.value for r in records}))
            # A reminder once made is not undone by BACK: the next one starts a clean trail.
            session.trail = [entry for entry in session.trail if entry[0] != flow.id]
        elif flow.id in plan.dirty or flow.id not in plan.completed_at:
            plan.versions[flow.id] = plan.versions.get(flow.id, 0) + 1
            plan.completed_at[flow.id] = turn.now.isoformat()
            if flow.id in plan.dirty:
                plan.dirty.remove(flow.id)
            if flow.kind == "section":
                turn.events.append(SectionCompleted(flow.id, plan.versions[flow.id], records))
            if "ConsentChanged" in flow.emits:
                turn.events.append(ConsentChanged(flow.id, records))
        if flow.kind == "onboarding" and plan.enrolled_at is None:
            plan.enrolled_at = turn.now.isoformat()
        found, opened = update_from_answers(flow, plan, turn.now.isoformat())
        turn.events.extend(found)
        turn.say(flow.done)
        if flow.kind == "section" and self._ask_consent_now(turn, flow, opened):
            return
        self._offer_help(turn, opened)
        self._after_flow(turn, flow)

    # ---- consent asked just in time ----------------------------------------------------

    def _consent_open(self, session: Session, section: str) -> tuple[Flow, Step] | None:
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

    def _ask_consent_now(self, turn: _Turn, section: Flow, opened: list[str]) -> bool:
        """Before a finished section goes anywhere: who may see it, if never asked."""
        session = turn.session
        asked = any(
            step.shares == section.id and session.plan.has_answer(flow.id, step.id)
            for flow, step in self._consent_steps()
        )
        following = self._consent_open(session, section.id)
        if asked or following is None:
            return False
        session.detour = {"section": section.id, "needs": opened}
        self._goto(session, following[0], following[1].id)
        self._prompt(turn)
        return True

    def _continue_detour(self, turn: _Turn, flow: Flow) -> None:
        """The next consent question of the detour, or back to where the parent was going."""
        session = turn.session
        detour = session.detour or {}
        section = str(detour.get("section"))
        following = self._consent_open(session, section)
        if following is not None:
            self._goto(session, following[0], following[1].id)
            self._prompt(turn)
            return
        session.detour = None
        turn.events.append(ConsentChanged(flow.id, self._records(flow, session)))
        self._offer_help(turn, [str(k) for k in detour.get("needs", [])])
        self._after_flow(turn, self.flows[section])

    def _after_flow(self, turn: _Turn, flow: Flow) -> None:
        session = turn.session
        session.review = []
        upcoming = self._next_section(session, flow)
        if flow.kind == "onboarding" and upcoming is not None:
            self._start_flow(turn, upcoming)
        elif upcoming is not None:
            session.mode = "offer"
            session.flow = upcoming.id
            session.step = None
            self._prompt(turn)
        else:
            session.mode = "idle"
            session.flow = session.step = None
            turn.say(m.NO_MORE_SECTIONS)

    def _next_section(self, session: Session, after: Flow) -> Flow | None:
        sections = self.flows.sections
        start = next((i + 1 for i, f in enumerate(sections) if f.id == after.id), 0)
        ordered = sections[start:] + sections[:start]
        return next((f for f in ordered if not session.plan.is_done(f.id)), None)

    def _record(self, step: Step, value: Any) -> AnswerRecord:
        typed: Any = value
        if value is not None and step.type == "date":
            typed = date.fromisoformat(value)
        elif value is not None and step.type == "time":
            typed = time.fromisoformat(value)
        return AnswerRecord(step.id, step.ask, step.type, typed, skipped=value is None)

    def _answer_menu(self, turn: _Turn, text: str) -> None:
        session = turn.session
        flows = self.flows.menu_flows
        options = [
            Option(f.id, tuple(dict.fromkeys((turn.voice(f.title), f.title)))) for f in flows
        ]
        try:
            chosen = parse_choice(text, options, session.locale)
        except ParseFailed:
            self._menu_yes_no(turn, text)
            return
        flow = self.flows[chosen]
        if flow.kind == "reminders":
            session.plan.answers.pop(flow.id, None)
        self._start_flow(turn, flow)

    def _menu_yes_no(self, turn: _Turn, text: str) -> None:
        """A "yes" at the menu goes on with the plan; anything else gets one short line."""
        session = turn.session
        try:
            go_on = parse_yes_no(text, session.locale)
        except ParseFailed:
            go_on = None
        open_sections = [f for f in self.flows.sections if not session.plan.is_done(f.id)]
        upcoming = next((f for f in open_sections if f.id == session.flow), None) or next(
            iter(open_sections), None
        )
        if go_on and upcoming is not None:
            self._start_flow(turn, upcoming)
        elif go_on is False:
            session.mode = "idle"
            session.flow = session.step = None
            turn.say(m.LATER)
        else:
            session.tries += 1
            turn.say(m.MENU_AGAIN)

    def _answer_offer(self, turn: _Turn, text: str) -> None:
        session = turn.session
        try:
            accepted = parse_yes_no(text, session.locale)
        except ParseFailed:
            if text.strip().isdigit():
                session.mode = "menu"  # a part's number: the menu picks it
                self._answer_menu(turn, text)
                return
            turn.say(m.OFFER_AGAIN, title=turn.voice(self.flows[session.flow or ""].title))
            return
        if accepted and session.flow:
            self._start_flow(turn, self.flows[session.flow])
        else:
            session.mode = "idle"
            session.flow = None
            turn.say(m.LATER)

    def _answer_restart(self, turn: _Turn, text: str) -> None:
        session = turn.session
        try:
            confirmed = parse_yes_no(text, session.locale)
        except ParseFailed:
            turn.say(m.RESTART_CONFIRM)
            return
        if not confirmed:
            session.mode = session.resume or "idle"
            session.resume = None
            turn.say(m.RESTART_KEPT)
            self._prompt(turn)
            return
        onboarding = self.flows.onboarding
        consent = onboarding.steps[0].id
        kept = session.plan.answers.get(onboarding.id, {}).get(consent)
        session.plan.answers = {onboarding.id: {consent: kept}}
        session.plan.skipped = {}
        session.plan.dirty = list(session.plan.completed_at)
        session.plan.completed_at = {}
        session.trail = []
        session.review = []
        session.resume = None
        turn.say(m.RESTARTED)
        turn.voice = self._voice(session)
        self._start_flow(turn, onboarding)

    def _answer_language(self, turn: _Turn, text: str) -> None:
        session = turn.session
        locales = list(self.translator.locales)
        options = [Option(loc, (self.translator.language_name(loc), loc)) for loc in locales]
        try:
            chosen = parse_choice(text, options, session.locale)
        except ParseFailed:
            self._prompt(turn)
            return
        self._switch_language(turn, chosen)

    # ---- positions and prompts ---------------------------------------------------------

    def _goto(self, session: Session, flow: Flow, step_id: str) -> None:
        if session.flow != flow.id:
            session.review = []  # CHANGE n refers to the review of the flow it was made in
        session.flow = flow.id
        session.step = step_id
        session.mode = "ask"
        session.tries = 0

    def _start_flow(self, turn: _Turn, flow: Flow) -> None:
        session = turn.session
        fresh = not session.plan.answers.get(flow.id)
        if session.flow != flow.id:
            session.review = []
        session.flow = flow.id
        if fresh and flow.intro:
            turn.say(flow.intro)
        following = self._next_open(session, flow)
        if following == END and flow.readback:
            session.mode = "readback"
            session.step = None
        elif following == END:
            self._finish_flow(turn, flow)
            return
        else:
            self._goto(session, flow, following)
        self._prompt(turn)

    # ---- one question, asked once (same_as) -----------------------------------------

    def _next_open(self, session: Session, flow: Flow, after_step: str | None = None) -> str:
        """The next open step, taking answers the parent gave the same question elsewhere."""
        following = next_open(flow, session.plan, after_step)
        while following != END and self._take_same(session, flow, flow.step(following)):
            following = next_open(flow, session.plan, following)
        return following

    def _same(self, step: Step) -> tuple[Flow, Step] | None:
        same = step.same_as
        other = self.flows.flows.get(same.flow_id) if same else None
        if same is None or other is None:
            return None
        return other, other.step(same.step_id)

    def _take_same(self, session: Session, flow: Flow, step: Step) -> bool:
        """Answered in another part: keep that answer here too (the read-back shows it)."""
        found = self._same(step)
        if found is None or found[1].same_as is None:
            return False
        other_flow, other = found
        value = found[1].same_as.map(session.plan.answer(other_flow.id, other.id), step)
        if value is None:
            return False
        session.plan.answers.setdefault(flow.id, {})[step.id] = value
        return True

    def _reconcile(self, turn: _Turn, step: Step, value: Any) -> None:
        """A new answer to a question also answered in another part: the two never disagree.
        The other part's answer changes to match, and the parent is told where."""
        found = self._same(step)
        if found is None or step.same_as is None:
            return
        other_flow, other = found
        answers = turn.session.plan.answers.get(other_flow.id, {})
        old = answers.get(other.id)
        new = step.same_as.map(value, other)
        if old is None or new is None or new == old:
            return
        turn.events.append(AnswerChanged(other_flow.id, other.id, old, new))
        answers[other.id] = new
        self._mark_changed(turn.session, other_flow.id)
        turn.say(m.SAME_CHANGED, title=_title(turn.voice, turn.session, other_flow))

    def _mark_changed(self, session: Session, flow_id: str) -> None:
        """A confirmed section that changes needs a new "yes" and a new version."""
        if session.plan.is_done(flow_id) and flow_id not in session.plan.dirty:
            session.plan.dirty.append(flow_id)

    def _current_step(self, session: Session) -> Step | None:
        if session.mode != "ask" or session.flow is None or session.step is None:
            return None
        return self.flows[session.flow].step(session.step)

    def _prompt(self, turn: _Turn, *, menu: bool = False) -> None:
        """Say again what the parent is being asked now. At the menu or with nothing open,
        the 9-line menu only when it is asked for (`menu`): the text before it says how."""
        session = turn.session
        voice = turn.voice
        mode: Mode = session.mode
        step = self._current_step(session)
        if step is not None:
            if step.consent and not self._consent_given(session):
                turn.say(m.SUPPORT_NOT_REPORT)  # before the first yes to sharing anything
            if step.consent and step.shares and step.type == "multi":
                turn.replies.extend(self._consent_details(turn, self.flows[step.shares]))
            same = self._same_people(session, step) if session.tries == 0 else None
            if same is not None:
                labels = dict(zip((c.value for c in step.choices), voice.labels(step), strict=True))
                who = ", ".join(labels[v] for v in same)
                turn.say(m.CONSENT_SAME, who=who)
                return
            turn.replies.append(voice.question(step))
        elif mode in ("readback", "fix") and session.flow:
            flow = self.flows[session.flow]
            steps = answered_route(flow, session.plan)
            session.review = [s.id for s in steps]
            answers = session.plan.answers.get(flow.id, {})
            discreet = session.plan.shared_phone()
            turn.replies.extend(voice.readback(flow, steps, answers, discreet=discreet))
            turn.say(m.READBACK_CONFIRM if mode == "readback" else m.READBACK_CHANGE_PICK)
        elif mode == "offer" and session.flow:
            turn.say(m.NEXT_OFFER, title=_title(voice, session, self.flows[session.flow]))
        elif mode == "confirm_restart":
            turn.say(m.RESTART_CONFIRM)
        elif mode == "language":
            lines = [voice(m.LANGUAGE_PICK)] + [
                f"{i}. {self.translator.language_name(loc)}"
                for i, loc in enumerate(self.translator.locales, 1)
            ]
            turn.replies.append("\n".join(lines))
        elif session.status == "active" and menu:
            session.mode = "menu"
            turn.replies.extend(self._menu_texts(session, voice))

    def _menu_texts(self, session: Session, voice: Voice) -> list[str]:
        sections = self.flows.sections
        done = sum(1 for f in sections if session.plan.is_done(f.id))
        lines = [voice(m.MENU_HEADER, done=done, total=len(sections))]
        for number, flow in enumerate(self.flows.menu_flows, 1):
            template = m.MENU_DONE_MARK if session.plan.is_done(flow.id) else m.MENU_ITEM
            lines.append(voice(template, number=number, title=_title(voice, session, flow)))
        return list(pack(lines))


def _kept_back(plan: Plan, flow: Flow, step: Step) -> bool:
    """On a shared phone, is this answer (or its label) kept out of texts?"""
    answer = plan.answer(flow.id, step.id)
    return plan.shared_phone() and (flow.sensitive or step.discreet(answer))


def _title(voice: Voice, session: Session, flow: Flow) -> str:
    """A part's title; on a shared phone, a sensitive part (recovery) is named by number."""
    if flow.sensitive and session.plan.shared_phone():
        return voice(m.PART_NUMBER, number=flow.number)
    return voice(flow.title)


_TO_PERSON = frozenset({"talk", "help", "stop"})
_FREE_MODES = frozenset({"menu", "idle"})


def _topic(session: Session) -> str:
    """What a text said in this state is about (session.py, TOPIC_*): a numbered list may
    hold answers from any part; the menu names the parts and no answers."""
    if session.listing is not None:
        return TOPIC_PLAN
    if session.mode in _FREE_MODES:
        return TOPIC_PERSON
    return session.flow or TOPIC_PLAN


def _remember(before: Session, turn: _Turn, text: str, at: str) -> None:
    """Keep the last few texts both ways, for a team member taking over the conversation,
    each with what it is about (so the inbox shows only what consent covers)."""
    after = turn.session
    topic = next((t for t in (_topic(before), _topic(after)) if t != TOPIC_PERSON), TOPIC_PERSON)
    # A text to a person: a request for one, or words while a member has the conversation.
    claimed = before.handoff_claim is not None and after.handoff_claim is not None
    said = TOPIC_PERSON if turn.to_person or claimed else topic
    history = after.history
    history.append(["in", text[:500], at, said])
    history.extend(["out", reply, at, topic] for reply in turn.replies)
    del history[: max(0, len(history) - HISTORY_CAP)]
