"""A person from the care team: asked for (TALK, a YES to help), and holding the conversation."""

from __future__ import annotations

from datetime import datetime

from bot.engine import messages as m
from bot.engine.events import HELP_FLAG, PARENT_ASKED, PRIVATE_HELP, HandoffRequested
from bot.engine.turn import Turn


def talk(turn: Turn) -> None:
    session = turn.session
    session.handoff = True
    session.plan.flags["handoff"] = turn.now.isoformat()
    turn.events.append(HandoffRequested(PARENT_ASKED, session.flow, session.step))
    turn.say(m.TALK)


def ask_for_help(turn: Turn) -> None:
    """A YES to "someone from your team to reach out": an open request for the on-call
    member, like TALK, raised now whatever the parent later shares. Only the request
    goes out; no answer, section or step rides along."""
    session = turn.session
    session.handoff = True
    session.plan.flags.setdefault("handoff", turn.now.isoformat())
    session.plan.flags[HELP_FLAG] = turn.now.isoformat()
    turn.events.append(HandoffRequested(PRIVATE_HELP))
    turn.say(m.HELP_ASKED)


def handed_off(turn: Turn) -> bool:
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
