"""The parent's rights over their texts and record: MY RECORD, MY PLAN, PRIVATE ON / OFF
(and HERE), and DELETE MY DATA (confirmed twice: YES, then the word DELETE)."""

from __future__ import annotations

from bot.engine import messages as m
from bot.engine.events import ErasureRequested, PlanLinkRequested, RecordRequested
from bot.engine.parsing import ParseFailed, parse_yes_no
from bot.engine.session import ASKED_HERE, SHARED_PHONE, Session
from bot.engine.turn import Turn
from bot.engine.walker import Walker


def my_record(w: Walker, turn: Turn, argument: str = "") -> None:
    turn.events.append(RecordRequested())
    turn.say(m.RECORD_COMING)
    w.prompt(turn)


def my_plan(w: Walker, turn: Turn, argument: str = "") -> None:
    turn.events.append(PlanLinkRequested())
    turn.say(m.PLAN_LINK_COMING)
    w.prompt(turn)


def private_mode(w: Walker, turn: Turn, argument: str = "", *, on: bool) -> None:
    """PRIVATE ON / OFF: shared-phone mode, whatever onboarding said. Turned on again, every
    part's private questions wait for the private chat again (HERE is asked anew)."""
    prefs = turn.session.plan.prefs
    prefs[SHARED_PHONE] = on
    if on:
        prefs.pop(ASKED_HERE, None)
    turn.say(m.PRIVATE_ON if on else m.PRIVATE_OFF)
    w.prompt(turn)


def ask_erase(w: Walker, turn: Turn, argument: str = "") -> None:
    turn.session.listing = {"kind": "erase", "items": [1]}
    turn.say(m.ERASE_CONFIRM)


def answer_erase(w: Walker, turn: Turn, stage: int, folded: str, command: str | None) -> None:
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
    w.prompt(turn)


def answer_here(w: Walker, turn: Turn, argument: str = "") -> None:
    """HERE, while a shared phone's private question waits (or the part offered opens with
    one): this part's private questions are asked by text after all (commands.run lets HERE
    through as an answer elsewhere)."""
    session = turn.session
    asked = [str(f) for f in session.plan.prefs.get(ASKED_HERE, [])]
    if session.flow and session.flow not in asked:
        session.plan.prefs[ASKED_HERE] = [*asked, session.flow]  # a new list: copies share it
    if session.mode == "offer" and session.flow:
        w.start_flow(turn, w.flows[session.flow])  # the part offered opens with them
        return
    w.prompt(turn)
