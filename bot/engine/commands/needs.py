"""NEEDS (a number marks one done or not needed), SAVED, and a number from the local help
just offered (saves that place)."""

from __future__ import annotations

from typing import Any

from bot.engine import messages as m
from bot.engine.discretion import service_name
from bot.engine.events import ResourceSaved
from bot.engine.needs import set_status
from bot.engine.offers import need_label, private_source, team_sees, unsaid
from bot.engine.render import pack
from bot.engine.turn import Turn
from bot.engine.walker import Walker


def show_needs(w: Walker, turn: Turn, argument: str = "") -> None:
    needs = turn.session.plan.needs
    kinds = [k for k in needs if not unsaid(w, turn.session, k)]
    left_out = [k for k in needs if k not in kinds]
    if not kinds:
        turn.say(_left_out_line(w, turn, left_out) if needs else m.NEEDS_NONE)
        w.prompt(turn)
        return
    lines = [turn.voice(m.NEEDS_HEADER)] + [
        turn.voice(
            m.NEEDS_ITEM,
            number=number,
            need=need_label(turn, kind),
            status=turn.voice(m.NEED_STATUS[str(needs[kind]["status"])]),
        )
        for number, kind in enumerate(kinds, 1)
    ]
    if left_out:
        lines.append(turn.voice(_left_out_line(w, turn, left_out)))
    turn.replies.extend(pack(lines))
    turn.say(m.NEEDS_HOW)
    turn.session.listing = {"kind": "needs", "items": kinds}


def pick_need(w: Walker, turn: Turn, item: Any, number: int) -> None:
    """A need from the NEEDS list: done (1) or not needed (2)?"""
    turn.session.listing = {"kind": "need_action", "items": [item, item]}
    turn.say(m.NEED_ASK_DONE, need=need_label(turn, str(item)))


def pick_need_action(w: Walker, turn: Turn, item: Any, number: int) -> None:
    kind, done = str(item), number == 1
    plan = turn.session.plan
    current = plan.needs.get(kind, {}).get("status")
    status: Any = ("connected" if current == "referred" else "have") if done else "declined"
    event = set_status(plan, kind, status, turn.now.isoformat(), "parent")
    if event is not None:
        turn.events.append(event)
    if team_sees(w, turn.session, kind):
        turn.say(m.NEED_DONE if done else m.NEED_NOT_NEEDED)
    else:
        turn.say(m.NEED_DONE_UNSHARED if done else m.NEED_NOT_NEEDED_UNSHARED)
    w.prompt(turn)


def pick_offer(w: Walker, turn: Turn, item: Any, number: int) -> None:
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
    w.prompt(turn)


def show_saved(w: Walker, turn: Turn, argument: str = "") -> None:
    session = turn.session
    saved = [s for s in session.plan.saved if not unsaid(w, session, str(s.get("need")))]
    left_out = [str(s.get("need")) for s in session.plan.saved if s not in saved]
    if not saved:
        turn.say(_left_out_line(w, turn, left_out) if session.plan.saved else m.SAVED_NONE)
    else:
        discreet = session.plan.shared_phone()
        names = [service_name(turn.voice, str(item["name"]), discreet=discreet) for item in saved]
        lines = [turn.voice(m.SAVED_HEADER)] + [
            f"{n}. {name}, {item['phone']}" if item.get("phone") else name
            for n, (name, item) in enumerate(zip(names, saved, strict=True), 1)
        ]
        if left_out:
            lines.append(turn.voice(_left_out_line(w, turn, left_out)))
        turn.replies.extend(pack(lines))
    w.prompt(turn)


def _left_out_line(w: Walker, turn: Turn, kinds: list[str]) -> str:
    """What to say of needs (or saved places) not texted: MY PLAN's page shows those a
    shared phone keeps back, never those a private answer shows."""
    if all(private_source(w, turn.session, k) for k in kinds):
        return m.KEPT_PRIVATE
    return m.SEE_PRIVATE
