"""The parent's commands as a table: keyword -> a small handler, and numbered lists -> what a
number in reply does. Each handler takes the walker (flows, texts, directories and the moves
between questions) and the turn being handled, and says what to say and what happened on it.

STOP, START, HELP and crisis words come before any command (bot/engine/machine.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any

from bot.engine import messages as m
from bot.engine.commands import language, navigation, needs, person, reminders, rights, sharing
from bot.engine.keywords import REMINDER_REPLIES, Match
from bot.engine.turn import Turn
from bot.engine.walker import Walker

Handler = Callable[[Walker, Turn, str], None]
# A number picked from a list: the item it names, and the number itself.
Pick = Callable[[Walker, Turn, Any, int], None]

COMMANDS: Mapping[str, Handler] = MappingProxyType(
    {
        "menu": navigation.menu,
        "back": navigation.back,
        "skip": navigation.skip,
        "review": navigation.review,
        "change": navigation.change,
        "restart": navigation.ask_restart,
        "talk": person.talk_to_person,
        "language": language.switch_language,
        "reminder": reminders.start_reminder,
        "confirm": partial(reminders.reply, action="confirm"),
        "reschedule": partial(reminders.reply, action="reschedule"),
        "ride": partial(reminders.reply, action="ride"),
        "reminders_off": partial(reminders.switch, off=True),
        "reminders_on": partial(reminders.switch, off=False),
        "reminders_list": reminders.list_reminders,
        "detailed_on": partial(reminders.detailed, on=True),
        "detailed_off": partial(reminders.detailed, on=False),
        "sharing": sharing.show_sharing,
        "stop_sharing": sharing.stop_sharing,
        "private_on": partial(rights.private_mode, on=True),
        "private_off": partial(rights.private_mode, on=False),
        "needs": needs.show_needs,
        "saved": needs.show_saved,
        "my_record": rights.my_record,
        "my_plan": rights.my_plan,
        "details": sharing.details,
        "here": rights.answer_here,
        "delete_data": rights.ask_erase,
    }
)

PICKS: Mapping[str, Pick] = MappingProxyType(
    {
        "offers": needs.pick_offer,
        "needs": needs.pick_need,
        "need_action": needs.pick_need_action,
        "sharing": sharing.pick_recipient,
        "sharing_org_part": sharing.pick_organization_part,
        "sharing_part": sharing.pick_role_part,
        "sharing_stopped_part": sharing.pick_stopped_part,
    }
)
# Lists that stay open after a pick: another number saves another place.
_STAYS_OPEN = frozenset({"offers"})


def run(w: Walker, turn: Turn, match: Match) -> bool:
    """Run a command; False when the text is not one here (a plain answer instead)."""
    session = turn.session
    onboarding = session.flow == w.flows.onboarding.id and session.mode == "ask"
    if onboarding and match.command in ("menu", "reminder"):
        turn.say(m.MENU_FINISH_ONBOARDING)
        w.prompt(turn)
        return True
    if match.command in REMINDER_REPLIES and not reminders.reminder_waiting(session, turn.now):
        return False  # "C" with no reminder waiting is an ordinary answer
    if match.command == "here" and not _private_waits(w, turn):
        return False  # "here" answers "has your baby been born?" as well
    handler = COMMANDS.get(match.command)
    if handler is None:
        return False
    handler(w, turn, match.argument)
    return True


def _private_waits(w: Walker, turn: Turn) -> bool:
    """A private question waits for HERE: it is held now, or the part offered opens with one."""
    session = turn.session
    if session.mode == "private":
        return True
    offered = w.flows.flows.get(session.flow or "") if session.mode == "offer" else None
    return offered is not None and w.starts_held(turn, offered)


def pick(w: Walker, turn: Turn, listing: dict[str, Any], folded: str, command: str | None) -> bool:
    """A reply to the numbered list just shown; False when it is not one (handled as usual)."""
    kind = str(listing.get("kind"))
    items: list[Any] = list(listing.get("items", []))
    if kind == "erase":
        rights.answer_erase(w, turn, int(items[0]), folded, command)
        return True
    if kind == "sharing_resume":
        return sharing.answer_resume(w, turn, items[0], folded, command)
    if kind == "relapse":
        return command in (None, "start") and person.answer_offer_of_person(w, turn, folded)
    if not folded.isdigit():
        return False
    number = int(folded)
    if kind == "reminders":
        reminders.cancel_listed(turn, number)
        return True
    if not 1 <= number <= len(items):
        turn.say(m.NUMBER_NOT_LISTED)
        turn.session.listing = listing
        return True
    handler = PICKS.get(kind)
    if handler is None:
        return False
    if kind in _STAYS_OPEN:
        turn.session.listing = listing
    handler(w, turn, items[number - 1], number)
    return True
