"""The conversation engine: step(session, text, now) -> (session, replies, events). Pure.

Order of checks for every inbound text, like fallbacks before a state's own handlers:
opted-out silence, STOP, HELP, crisis words, first contact, a person holding the
conversation, a return to use, a numbered list's pick, welcome back, commands (the table
in bot/engine/commands/), then the answer the current mode expects (bot/engine/answering.py).
Walking the flows is bot/engine/walker.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial

from bot.engine import commands
from bot.engine import messages as m
from bot.engine.answering import answer, offered_answers
from bot.engine.answers import ZipLookup
from bot.engine.commands.person import offer_person
from bot.engine.crisis import CRISIS_DIR, CrisisDetector, Finding, load_detector
from bot.engine.crisis_lexicon import Concern
from bot.engine.crisis_model import READ_UP_TO, CrisisModel, load_models, second_opinion
from bot.engine.events import CrisisDetected, ErasureRequested, OptedIn, OptedOut
from bot.engine.handoff import handed_off
from bot.engine.keywords import fold
from bot.engine.loader import FlowSet
from bot.engine.parsing import ParseFailed, parse_yes_no
from bot.engine.render import join_turn
from bot.engine.resources import ResourceFinder
from bot.engine.session import HISTORY_CAP, TOPIC_PERSON, TOPIC_PLAN, Session
from bot.engine.sharing import TeamView
from bot.engine.texts import Translator
from bot.engine.turn import EngineSettings, StepResult, Turn
from bot.engine.walker import Walker

__all__ = ["Engine", "EngineSettings", "StepResult"]

# The phrase of a finding only the learned reader made (crisis_model.second_opinion).
MODEL_PHRASE = "(model)"
CRISIS_TEXTS = {
    "emergency": m.CRISIS_EMERGENCY,
    "suicide": m.CRISIS_SUICIDE,
    "baby": m.CRISIS_BABY,
    "violence": m.CRISIS_VIOLENCE,
}


class Engine(Walker):
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
        crisis_models: Mapping[str, CrisisModel] | None = None,
    ) -> None:
        super().__init__(flows, translator, settings, zip_lookup, resource_finder, team)
        self.crisis = crisis or load_detector(CRISIS_DIR, translator.locales)
        # The learned second reader (one model for all languages, a threshold per language):
        # asked when the word rules find nothing or only a relapse (bench/bench_crisis_model.py).
        self.crisis_models = (
            crisis_models
            if crisis_models is not None
            else load_models(CRISIS_DIR, translator.locales)
        )

    # ---- entry point -------------------------------------------------------------------

    def step(
        self,
        session: Session,
        text: str,
        now: datetime,
        *,
        owned: bool = False,
        private: bool = False,
    ) -> StepResult:
        """Handle one inbound text. `session` is not changed; the new one is returned.

        `owned`: the caller hands the session over (a store's fresh copy, used for nothing
        after the step): it becomes the new session, changed in place, one copy fewer.
        `private`: the text came by the private web chat, where the replies are read on the
        parent's own screen, not on a shared phone."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        before = _Before(_topic(session), session.handoff_claim is not None)
        working = session if owned else session.copy()
        turn = Turn(working, now, self.voice(session), self.settings.default_timezone)
        turn.private = private
        self._handle(turn, text)
        if len(turn.replies) > 1 and not any(isinstance(e, CrisisDetected) for e in turn.events):
            # One text per turn where it fits. Crisis numbers keep a text of their own.
            turn.replies = join_turn(turn.replies)
        turn.session.last_seen = stamp = now.isoformat()
        if not any(isinstance(e, ErasureRequested) for e in turn.events):
            _remember(before, turn, text, stamp)
        return StepResult(turn.session, turn.replies, turn.events)

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

    def _handle(self, turn: Turn, text: str) -> None:
        session = turn.session
        folded = fold(text[:500])
        match = self.keywords.command(folded)
        command = match.command if match else None
        turn.to_person = command in _TO_PERSON
        finding = None if command in ("stop", "start", "help") else self._crisis_in(turn, text)
        if session.status == "opted_out":
            if command == "start":
                self._opt_in(turn, folded)
            elif command == "help":
                turn.say(m.HELP_OPTED_OUT)
                self.say_support(turn)
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
            self.say_support(turn)
            self.prompt(turn)
            return
        if finding is not None and finding.concern != "relapse":
            self._crisis(turn, finding)
            return
        if session.status == "new":
            greeting_locale = self.keywords.language_of_greeting(folded)
            if greeting_locale is not None:
                self.set_locale(turn, greeting_locale)
            self.first_contact(turn)
            return
        if session.status == "declined":
            self._declined(turn, text, command)
            return
        if handed_off(turn):
            return  # a person from the team is texting with the parent: the bot stays quiet
        if finding is not None and session.status == "active":
            offer_person(turn)
            return
        listing, session.listing = session.listing, None
        if listing is not None and commands.pick(self, turn, listing, folded, command):
            return
        if self._welcome_back(turn, command):
            return
        if match is not None and command != "start" and commands.run(self, turn, match):
            return
        answer(self, turn, text)

    # ---- crisis ------------------------------------------------------------------------

    def _crisis_in(self, turn: Turn, text: str) -> Finding | None:
        """What the conversation acts on. The learned reader alone does not make a crisis of
        a text that is exactly an answer the bot offers ("I have a plan", a choice of the
        birth control question) or a command ("DELETE MY DATA"): then only what the word rules
        found counts."""
        finding = self.crisis_reading(text, turn.session.locale)
        if finding is not None and finding.phrase == MODEL_PHRASE and self.is_offered_answer(text):
            return self.crisis.find(text)
        return finding

    def is_offered_answer(self, text: str) -> bool:
        """Whether the whole text, folded, is an answer the flows offer (`offered_answers`) or
        exactly a command the bot tells parents to send, in any language (stop 34: "delete my
        data" scored 0.89 as suicide)."""
        folded = fold(text[:500])
        return folded in self.offered_answers or self.keywords.is_keyword(folded)

    @cached_property
    def offered_answers(self) -> frozenset[str]:
        """The answers the flows offer, folded, in every language the program speaks: a parent
        may answer in another ("tengo un plan" in English; answering.offered_answers)."""
        return frozenset().union(
            *(
                offered_answers(self.flows.flows.values(), partial(self.translator.gettext, lang))
                for lang in self.translator.locales
            )
        )

    def crisis_reading(self, text: str, locale: str) -> Finding | None:
        """What the conversation reads in a text: the word rules first; when they find nothing
        or only a relapse, the language's model (crisis_model.second_opinion)."""
        found = self.crisis.find(text)
        model = self.crisis_models.get(locale)
        concern = second_opinion(model, text[:READ_UP_TO], found.concern if found else None)
        if found is not None and concern == found.concern:
            return found
        return Finding(concern, MODEL_PHRASE) if concern is not None else None

    def reads_slowly(self, text: str) -> bool:
        """Whether reading this text for a crisis would ask the fine-tuned encoder (~17 ms of
        one core: crisis_model.asks_encoder) in some language: a caller on an event loop then
        calls `read_ahead` in a worker thread, and the step finds the reading remembered."""
        key, rules = text[:READ_UP_TO], self._rules_concern(text)
        return any(model.asks_encoder(key, rules) for model in self.crisis_models.values())

    def read_ahead(self, text: str) -> None:
        """Read the text as `crisis_reading` and `is_crisis` will, so they look it up."""
        key, rules = text[:READ_UP_TO], self._rules_concern(text)
        for model in self.crisis_models.values():
            second_opinion(model, key, rules)  # reads all it will: the blend, the veto's

    def _rules_concern(self, text: str) -> Concern | None:
        found = self.crisis.find(text)
        return found.concern if found else None

    def is_crisis(self, text: str) -> bool:
        """Would this text be met as a crisis (not a relapse) in any language the program
        speaks? For a caller that reads a text before its session, so before its language
        (the flood guard): a crisis the conversation would answer always passes."""
        found = self.crisis.find(text)
        rules = found.concern if found else None
        if rules is not None and rules != "relapse":
            return True
        # The languages share one weight table: score the text once per table and hold the
        # score to the lowest threshold among its languages (what second_opinion would do in
        # the most trusting of them), not once per language.
        lowest: dict[int, tuple[CrisisModel, float]] = {}
        for model in self.crisis_models.values():
            seen = lowest.get(id(model.weights))
            if seen is None or model.threshold < seen[1]:
                lowest[id(model.weights)] = (model, model.threshold)
        return any(
            second_opinion(model, text[:READ_UP_TO], rules, threshold) not in (None, "relapse")
            for model, threshold in lowest.values()
        )

    def _crisis(self, turn: Turn, finding: Finding) -> None:
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
            self.prompt(turn)

    # ---- status changes ----------------------------------------------------------------

    def _opt_in(self, turn: Turn, keyword: str) -> None:
        session = turn.session
        turn.events.append(OptedIn(keyword))
        if session.mode == "idle" and session.flow is None and not session.plan.answers:
            session.status = "new"
            self.first_contact(turn)
            return
        session.status = "active"
        turn.say(m.OPTED_IN)
        self.prompt(turn)

    def _declined(self, turn: Turn, text: str, command: str | None) -> None:
        try:
            agreed = command == "start" or parse_yes_no(text, turn.session.locale)
        except ParseFailed:
            agreed = False
        if not agreed:
            turn.say(m.NOT_STARTED)
            return
        self.first_contact(turn)

    def _welcome_back(self, turn: Turn, command: str | None) -> bool:
        session = turn.session
        if command is not None or session.last_seen is None:
            return False
        away = turn.now - datetime.fromisoformat(session.last_seen)
        if away < self.settings.welcome_back_after:
            return False
        name = turn.voice.name
        turn.say(m.WELCOME_BACK, name_part=f", {name}" if name else "")
        self.prompt(turn, menu=True)
        return True


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


@dataclass(frozen=True, slots=True)
class _Before:
    """What the history needs of the session as it was before the step."""

    topic: str
    claimed: bool


def _remember(before: _Before, turn: Turn, text: str, at: str) -> None:
    """Keep the last few texts both ways, for a team member taking over the conversation,
    each with what it is about (so the inbox shows only what consent covers)."""
    after = turn.session
    topic = next((t for t in (before.topic, _topic(after)) if t != TOPIC_PERSON), TOPIC_PERSON)
    # A text to a person: a request for one, or words while a member has the conversation.
    claimed = before.claimed and after.handoff_claim is not None
    said = TOPIC_PERSON if turn.to_person or claimed else topic
    if turn.topic is not None:
        said = topic = turn.topic
    history = after.history
    history.append(["in", text[:500], at, said])
    history.extend(["out", reply, at, topic] for reply in turn.replies)
    del history[: max(0, len(history) - HISTORY_CAP)]
