"""LANGUAGE, and the language names themselves (ESPAÑOL, ENGLISH...)."""

from __future__ import annotations

from bot.engine import messages as m
from bot.engine.events import LanguageChanged
from bot.engine.turn import Turn
from bot.engine.walker import Walker


def switch_language(w: Walker, turn: Turn, argument: str = "") -> None:
    """LANGUAGE asks which; ESPAÑOL, ENGLISH... switch at once and repeat the question."""
    if not argument:
        _ask_language(w, turn)
        return
    session = turn.session
    if session.mode == "language":
        session.mode = session.resume or "idle"
        session.resume = None
    w.set_locale(turn, argument)
    turn.events.append(LanguageChanged(argument))
    turn.say(m.LANGUAGE_SET)
    if session.status == "new":
        w.first_contact(turn)
    else:
        w.prompt(turn)


def _ask_language(w: Walker, turn: Turn) -> None:
    session = turn.session
    if len(w.translator.locales) < 2:
        turn.say(m.LANGUAGE_SET)
        w.prompt(turn)
        return
    if session.mode != "language":
        session.resume = session.mode
    session.mode = "language"
    w.prompt(turn)
