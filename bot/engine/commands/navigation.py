"""MENU, BACK, SKIP, REVIEW, CHANGE n and RESTART: moving around the plan."""

from __future__ import annotations

from bot.engine import messages as m
from bot.engine.navigation import answered_route
from bot.engine.turn import Turn
from bot.engine.walker import Walker

FREE_MODES = frozenset({"menu", "idle"})


def menu(w: Walker, turn: Turn, argument: str = "") -> None:
    w.menu(turn)


def back(w: Walker, turn: Turn, argument: str = "") -> None:
    """Undo the last answer of the part being filled in; never step into another part
    (BACK into a finished reminder would make it a second time). The one way across: from
    the first question after the welcome questions back to the last of them."""
    session = turn.session
    inside = session.flow if session.mode in ("ask", "readback", "fix") else None
    mine = [i for i, (flow_id, _) in enumerate(session.trail) if flow_id == inside]
    welcome = w.flows.onboarding.id
    if not mine and inside and session.trail and session.trail[-1][0] == welcome:
        mine = [len(session.trail) - 1]
    if not mine:
        turn.say(m.NOTHING_TO_UNDO)
        w.prompt(turn)
        return
    flow_id, step_id = session.trail.pop(mine[-1])
    answers = session.plan.answers.get(flow_id, {})
    answers.pop(step_id, None)
    skipped = session.plan.skipped.get(flow_id, [])
    if step_id in skipped:
        skipped.remove(step_id)
    w.mark_changed(session, flow_id)
    w.goto(session, w.flows[flow_id], step_id)
    w.prompt(turn)


def skip(w: Walker, turn: Turn, argument: str = "") -> None:
    session = turn.session
    step = w.current_step(session)
    if step is None and session.mode in FREE_MODES:
        turn.say(m.MENU_AGAIN)  # nothing to skip: the short way on, never silence
        return
    if step is None:
        w.prompt(turn)
        return
    if step.required:
        turn.say(m.SKIP_REQUIRED)
        w.prompt(turn)
        return
    turn.say(m.SKIPPED)
    w.store(turn, w.flows[session.flow or ""], step, None)


def review(w: Walker, turn: Turn, argument: str = "") -> None:
    session = turn.session
    flow = w.flows[session.flow] if session.flow else None
    if flow is None or session.mode not in ("ask", "readback", "fix"):
        turn.say(m.REVIEW_OUTSIDE)
        w.prompt(turn)
        return
    steps = answered_route(flow, session.plan)
    session.review = [s.id for s in steps]
    if not steps:
        turn.say(m.REVIEW_EMPTY)
    else:
        answers = session.plan.answers.get(flow.id, {})
        discreet = w.discreet(turn)  # the private chat reads it all back
        turn.replies.extend(turn.voice.readback(flow, steps, answers, discreet=discreet))
        turn.say(m.REVIEW_CHANGE)
    if session.mode == "ask":
        w.prompt(turn)


def change(w: Walker, turn: Turn, argument: str = "") -> None:
    session = turn.session
    if session.flow is None:
        turn.say(m.CHANGE_ONLY_IN_PLAN)
        w.prompt(turn)
        return
    flow = w.flows[session.flow]
    items = session.review or [s.id for s in answered_route(flow, session.plan)]
    number = int(argument) if argument.isdigit() else 0
    if not 1 <= number <= len(items):
        turn.say(m.CHANGE_WHICH)
        return
    w.goto(session, flow, items[number - 1])
    w.prompt(turn)


def ask_restart(w: Walker, turn: Turn, argument: str = "") -> None:
    session = turn.session
    if session.mode != "confirm_restart":
        session.resume = session.mode
    session.mode = "confirm_restart"
    turn.say(m.RESTART_CONFIRM)
