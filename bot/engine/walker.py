"""Walking a parent through the flows: asking the open question, keeping an answer and moving
on, the read-back, finishing a part (versions, events, needs), consent asked just in time,
then the next part, and saying again what is being asked now."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.engine import messages as m
from bot.engine.context import Context, record, title
from bot.engine.events import (
    AnswerChanged,
    ConsentChanged,
    ReminderReplied,
    ReminderRequested,
    SectionCompleted,
)
from bot.engine.handoff import ask_for_help
from bot.engine.loader import END
from bot.engine.model import Flow, Step
from bot.engine.navigation import answered_route, next_open, path
from bot.engine.needs import update_from_answers
from bot.engine.offers import offer_help
from bot.engine.render import Voice, pack
from bot.engine.session import ASKED_HERE, Mode, Session
from bot.engine.sharing import role_name
from bot.engine.turn import Turn

# Menus kept at most (a few per language and progress): past it, the memo starts again.
MENUS_CAP = 4_096


class Walker(Context):
    """The flow-walking half of the engine; commands and answers call into it."""

    # ---- starting ----------------------------------------------------------------------

    def first_contact(self, turn: Turn) -> None:
        session = turn.session
        onboarding = self.flows.onboarding
        session.status = "active"
        self.goto(session, onboarding, onboarding.steps[0].id)
        self.prompt(turn)
        self.say_support(turn)
        offers = [
            self.translator.gettext(loc, m.LANGUAGE_OFFER)
            for loc in self.translator.locales
            if loc != session.locale
        ]
        if offers:
            # One message with the welcome (one web-chat bubble); over SMS it still goes as a
            # text of its own, since sms_texts cuts where that costs the fewest segments
            # (PORTUGUÊS with accents kept would bill the English welcome as UCS-2).
            turn.replies.append(" ".join(offers))

    def set_locale(self, turn: Turn, locale: str) -> None:
        turn.session.locale = locale
        turn.voice = self.voice(turn.session)

    def menu(self, turn: Turn) -> None:
        turn.session.mode = "menu"
        turn.session.tries = 0
        self.prompt(turn, menu=True)

    def start_flow(self, turn: Turn, flow: Flow) -> None:
        session = turn.session
        fresh = not session.plan.answers.get(flow.id)
        if session.flow != flow.id:
            session.review = []
        session.flow = flow.id
        following = self.next_open(session, flow)
        # A part held for the private chat says its intro there (prompt, on release).
        held = following != END and self.held(turn, flow, flow.step(following))
        if fresh and flow.intro and not held:
            turn.say(flow.intro)
        if following == END and flow.readback:
            session.mode = "readback"
            session.step = None
        elif following == END:
            self.finish_flow(turn, flow)
            return
        else:
            self.goto(session, flow, following)
        self.prompt(turn)

    # ---- an answer kept ----------------------------------------------------------------

    def store(self, turn: Turn, flow: Flow, step: Step, value: Any) -> None:
        """Keep an answer (None = skipped) and move to the next open step or the read-back."""
        session = turn.session
        answers = session.plan.answers.setdefault(flow.id, {})
        if step.id in answers and answers[step.id] != value:
            turn.events.append(AnswerChanged(flow.id, step.id, answers[step.id], value))
            self.mark_changed(session, flow.id)
        if step.asks_for_help and value is True and answers.get(step.id) is not True:
            ask_for_help(turn)
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
            turn.voice = self.voice(session)  # the name may have just been given
        self._continue_flow(turn, flow, after_step=step.id)

    def _reconcile(self, turn: Turn, step: Step, value: Any) -> None:
        """A new answer to a question also answered in another part: the two never disagree.
        The other part's answer changes to match, and the parent is told where."""
        found = self.same(step)
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
        self.mark_changed(turn.session, other_flow.id)
        turn.say(m.SAME_CHANGED, title=title(turn.voice, turn.session, other_flow))

    def _continue_flow(self, turn: Turn, flow: Flow, after_step: str | None = None) -> None:
        session = turn.session
        if session.detour is not None and "ConsentChanged" in flow.emits:
            self._continue_detour(turn, flow)
            return
        following = self.next_open(session, flow, after_step)
        if following == END and after_step is not None:
            # BACK can leave an earlier step open; the flow ends only when the whole route is.
            following = self.next_open(session, flow)
        if following != END:
            self.goto(session, flow, following)
            self.prompt(turn)
        elif flow.readback:
            session.mode = "readback"
            session.step = None
            self.prompt(turn)
        else:
            self.finish_flow(turn, flow)

    # ---- a part finished ---------------------------------------------------------------

    def finish_flow(self, turn: Turn, flow: Flow) -> None:
        session = turn.session
        plan = session.plan
        route = path(flow, plan)
        answers = plan.answers.setdefault(flow.id, {})
        for stale in [k for k in answers if k not in route]:
            del answers[stale]  # answers left behind by a changed branch
        records = tuple(record(flow.step(s), answers[s]) for s in route if s in answers)
        back_on = False
        if flow.kind == "reminders":
            turn.events.append(ReminderRequested({r.key: r.value for r in records}))
            # "We'll send you a reminder" after NO REMINDERS: asking for one turns them on
            # again (as REMINDERS ON does), and the parent is told.
            back_on = plan.prefs.pop("reminders_off", None) is not None
            if back_on:
                turn.events.append(ReminderReplied(None, "on"))
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
        promised = self.reminder_promise(turn, answers) if flow.kind == "reminders" else None
        if promised is not None:
            turn.replies.append(promised)  # the very times the planner will use
        else:
            turn.say(flow.done_text(discreet=self.discreet(turn)))
        if back_on:
            turn.say(m.REMINDERS_ON)
        if flow.kind == "section" and self._ask_consent_now(turn, flow, opened):
            return
        offer_help(self, turn, opened)
        self._after_flow(turn, flow)

    def _ask_consent_now(self, turn: Turn, section: Flow, opened: list[str]) -> bool:
        """Before a finished section goes anywhere: who may see it, if never asked."""
        session = turn.session
        asked = any(
            step.shares == section.id and session.plan.has_answer(flow.id, step.id)
            for flow, step in self.consent_steps()
        )
        following = self.consent_open(session, section.id)
        if asked or following is None:
            return False
        session.detour = {"section": section.id, "needs": opened}
        self.goto(session, following[0], following[1].id)
        self.prompt(turn)
        return True

    def _continue_detour(self, turn: Turn, flow: Flow) -> None:
        """The next consent question of the detour, or back to where the parent was going."""
        session = turn.session
        detour = session.detour or {}
        section = str(detour.get("section"))
        following = self.consent_open(session, section)
        if following is not None:
            self.goto(session, following[0], following[1].id)
            self.prompt(turn)
            return
        session.detour = None
        turn.events.append(ConsentChanged(flow.id, self.records(flow, session)))
        offer_help(self, turn, [str(k) for k in detour.get("needs", [])])
        self._after_flow(turn, self.flows[section])

    def _after_flow(self, turn: Turn, flow: Flow) -> None:
        session = turn.session
        session.review = []
        upcoming = self._next_section(session, flow)
        if flow.kind == "onboarding" and upcoming is not None:
            self.start_flow(turn, upcoming)
        elif upcoming is not None:
            session.mode = "offer"
            session.flow = upcoming.id
            session.step = None
            self.prompt(turn)
        else:
            session.mode = "idle"
            session.flow = session.step = None
            turn.say(m.NO_MORE_SECTIONS)

    def _next_section(self, session: Session, after: Flow) -> Flow | None:
        sections = self.flows.sections
        start = next((i + 1 for i, f in enumerate(sections) if f.id == after.id), 0)
        ordered = sections[start:] + sections[:start]
        return next((f for f in ordered if not session.plan.is_done(f.id)), None)

    # ---- a shared phone's private questions ------------------------------------------

    def discreet(self, turn: Turn) -> bool:
        """Do this turn's replies go to a shared phone (not the private web chat)?"""
        return turn.session.plan.shared_phone() and not turn.private

    def held(self, turn: Turn, flow: Flow, step: Step) -> bool:
        """A question that names private things, on a shared phone, by text: it waits for
        the private chat (CHAT) or the parent's HERE for its part."""
        if not self.discreet(turn) or not flow.asks_privately(step):
            return False
        return flow.id not in turn.session.plan.prefs.get(ASKED_HERE, [])

    def starts_held(self, turn: Turn, flow: Flow) -> bool:
        """Does this part open with a question held for the private chat? Its offer then
        says so, and HERE starts it by text."""
        first = next_open(flow, turn.session.plan)
        return first != END and self.held(turn, flow, flow.step(first))

    def say_support(self, turn: Turn) -> None:
        """Support, not a report; on a shared phone without naming child protection."""
        shared = self.discreet(turn)
        turn.say(m.SUPPORT_NOT_REPORT_SHARED if shared else m.SUPPORT_NOT_REPORT)

    def _release(self, turn: Turn) -> bool:
        """A question held for the private chat: asked now (the private chat, HERE, or
        shared-phone mode off), with its part's intro if nothing is answered yet; False
        when it still waits."""
        session = turn.session
        flow = self.flows.flows.get(session.flow or "")
        if flow is None or session.step is None:
            session.mode = "idle"
            return True
        if self.held(turn, flow, flow.step(session.step)):
            return False
        session.mode = "ask"
        if flow.intro and not session.plan.answers.get(flow.id):
            turn.say(flow.intro)
        return True

    # ---- prompts -----------------------------------------------------------------------

    def prompt(self, turn: Turn, *, menu: bool = False) -> None:
        """Say again what the parent is being asked now. At the menu or with nothing open,
        the 9-line menu only when it is asked for (`menu`): the text before it says how."""
        session = turn.session
        voice = turn.voice
        if session.mode == "private" and not self._release(turn):
            turn.say(m.PRIVATE_QUESTIONS)
            return
        mode: Mode = session.mode
        step = self.current_step(session)
        if step is not None and self.held(turn, self.flows[session.flow or ""], step):
            session.mode = "private"
            turn.say(m.PRIVATE_QUESTIONS)
            return
        if step is not None:
            if step.consent and not self.consent_given(session):
                self.say_support(turn)  # before the first yes to sharing anything
            if step.consent and step.shares and step.type == "multi":
                turn.replies.extend(self.consent_details(turn, self.flows[step.shares]))
            same = self.same_people(session, step) if session.tries == 0 else None
            if same is not None:
                discreet = session.plan.shared_phone()
                who = ", ".join(role_name(voice, [step], v, discreet=discreet) for v in same)
                turn.say(m.CONSENT_SAME, who=who)
                return
            flow = self.flows[session.flow or ""]
            discreet = self.asks_discreetly(session, flow)
            turn.replies.append(voice.question(step, discreet=discreet))
        elif mode in ("readback", "fix") and session.flow:
            flow = self.flows[session.flow]
            steps = answered_route(flow, session.plan)
            session.review = [s.id for s in steps]
            answers = session.plan.answers.get(flow.id, {})
            discreet = self.discreet(turn)  # the private chat reads it all back
            turn.replies.extend(voice.readback(flow, steps, answers, discreet=discreet))
            turn.say(m.READBACK_CONFIRM if mode == "readback" else m.READBACK_CHANGE_PICK)
        elif mode == "offer" and session.flow:
            flow = self.flows[session.flow]
            offer = m.NEXT_OFFER_PRIVATE if self.starts_held(turn, flow) else m.NEXT_OFFER
            turn.say(offer, title=title(voice, session, flow))
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
        """The menu is the same text for every parent in one language with the same parts
        done and the same phone mode: rendered once (~40-60 us), then looked up. The name
        is part of the key only where a catalog's menu texts use it."""
        plan = session.plan
        done = tuple(plan.is_done(f.id) for f in self.flows.menu_flows)
        named = voice if self._menu_says_name(voice) else replace(voice, name="")
        key = (named, done, plan.shared_phone())
        found = self._menus.get(key)
        if found is None:
            if len(self._menus) >= MENUS_CAP:
                self._menus.clear()
            found = self._menus[key] = tuple(self._render_menu(session, voice))
        return list(found)

    def _menu_says_name(self, voice: Voice) -> bool:
        says = self._menu_names.get(voice.locale)
        if says is None:
            ids = [m.MENU_HEADER, m.MENU_DONE_MARK, m.MENU_ITEM, m.PART_NUMBER]
            ids += [f.title for f in self.flows.menu_flows]
            texts = [self.translator.gettext(voice.locale, i) for i in ids]
            says = self._menu_names[voice.locale] = any("{name" in t for t in texts)
        return says

    def _render_menu(self, session: Session, voice: Voice) -> list[str]:
        sections = self.flows.sections
        done = sum(1 for f in sections if session.plan.is_done(f.id))
        lines = [voice(m.MENU_HEADER, done=done, total=len(sections))]
        for number, flow in enumerate(self.flows.menu_flows, 1):
            template = m.MENU_DONE_MARK if session.plan.is_done(flow.id) else m.MENU_ITEM
            lines.append(voice(template, number=number, title=title(voice, session, flow)))
        return list(pack(lines))
