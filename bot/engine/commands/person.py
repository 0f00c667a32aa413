"""TALK, and the offer of a person after words about a return to use."""

from __future__ import annotations

from bot.engine import messages as m
from bot.engine.handoff import talk
from bot.engine.parsing import ParseFailed, parse_yes_no
from bot.engine.session import TOPIC_RECOVERY
from bot.engine.turn import Turn
from bot.engine.walker import Walker


def talk_to_person(w: Walker, turn: Turn, argument: str = "") -> None:
    talk(turn)


def offer_person(turn: Turn) -> None:
    """A return to use: kind words and the offer of a person. Nothing is told to anyone
    unless the parent says yes (then it is a TALK, with no word of why). The text and the
    reply are about recovery whatever part is open: only Part 2 consent shows them."""
    turn.topic = TOPIC_RECOVERY
    shared = turn.session.plan.shared_phone()
    turn.say(m.RELAPSE_OFFER_PRIVATE if shared else m.RELAPSE_OFFER)
    turn.session.listing = {"kind": "relapse", "items": []}


def answer_offer_of_person(w: Walker, turn: Turn, text: str) -> bool:
    if text.isdigit():
        return False  # a number answers the question, not the offer
    try:
        wanted = parse_yes_no(text, turn.session.locale)
    except ParseFailed:
        return False  # not an answer to the offer: handled as usual
    if wanted:
        talk(turn)
    else:
        turn.say(m.RELAPSE_DECLINED)
        w.prompt(turn)
    return True
