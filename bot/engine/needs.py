"""Needs as records: found in the answers of a finished section, changed by parent or team. Pure.

A flow marks the choices that reveal a need (`need: housing` on "No stable place to live").
One record per need kind; its status is have / need / referred / connected / declined.
"""

from __future__ import annotations

from typing import Any

from bot.engine.events import NeedChanged
from bot.engine.model import Flow
from bot.engine.navigation import path
from bot.engine.session import NeedStatus, Plan

# A parent's answer never undoes the team's work: only these move back to "have".
_ANSWER_MAY_CLEAR: frozenset[str] = frozenset({"need"})
# A need the parent said was sorted comes back when a later answer shows it again.
_ANSWER_MAY_REOPEN: frozenset[str] = frozenset({"have", "declined"})


def shown_needs(flow: Flow, plan: Plan) -> dict[str, str]:
    """need kind -> the step whose answer shows it, on the parent's route through `flow`."""
    answers = plan.answers.get(flow.id, {})
    found: dict[str, str] = {}
    for step_id in path(flow, plan):
        value = answers.get(step_id)
        if value is None:
            continue
        step = flow.step(step_id)
        picked = value if isinstance(value, list) else [value]
        for choice in step.choices:
            if choice.need and choice.value in picked:
                found.setdefault(choice.need, step_id)
    return found


def need_kinds(flow: Flow) -> frozenset[str]:
    return frozenset(c.need for s in flow.steps for c in s.choices if c.need)


def set_status(
    plan: Plan, kind: str, status: NeedStatus, at: str, by: str, note: str = ""
) -> NeedChanged | None:
    """Change one need's status, versioned with its history; None when nothing changes."""
    need = plan.needs.get(kind)
    if need is None or need["status"] == status:
        return None
    changed = dict(need)
    changed["status"] = status
    changed["version"] = int(need.get("version", 1)) + 1
    changed["history"] = [*need.get("history", []), _entry(at, status, by, note)]
    plan.needs[kind] = changed
    section, step = changed["source"]
    return NeedChanged(kind, status, section, step, by, note)


def update_from_answers(flow: Flow, plan: Plan, at: str) -> tuple[list[NeedChanged], list[str]]:
    """After a section is confirmed: new needs, needs shown again, needs answered away.

    Returns the events and the kinds that are newly in "need" (for offers of local help).
    """
    shown = shown_needs(flow, plan)
    events: list[NeedChanged] = []
    opened: list[str] = []
    for kind, step_id in shown.items():
        need = plan.needs.get(kind)
        if need is None:
            plan.needs[kind] = _new_need(kind, flow.id, step_id, at)
            events.append(NeedChanged(kind, "need", flow.id, step_id))
            opened.append(kind)
        elif need["status"] in _ANSWER_MAY_REOPEN:
            event = set_status(plan, kind, "need", at, "parent")
            if event is not None:
                events.append(event)
                opened.append(kind)
    for kind in need_kinds(flow) - shown.keys():
        need = plan.needs.get(kind)
        if need is None or need["source"][0] != flow.id or need["status"] not in _ANSWER_MAY_CLEAR:
            continue
        event = set_status(plan, kind, "have", at, "parent")
        if event is not None:
            events.append(event)
    return events, opened


def _new_need(kind: str, section: str, step: str, at: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "status": "need",
        "source": [section, step],
        "owner": None,
        "referred_on": None,
        "notes": "",
        "version": 1,
        "history": [_entry(at, "need", "parent", "")],
    }


def _entry(at: str, status: str, by: str, note: str) -> dict[str, str]:
    return {"at": at, "status": status, "by": by, "note": note}
