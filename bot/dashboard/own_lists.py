"""The MY PLAN page's needs and saved places: what NEEDS and SAVED text, and what a shared
phone keeps out of texts ("Text MY PLAN for private details"). A need a private answer shows
(feeling safe at home) stays off the page, as the private answers do. Pure: the page calls it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import messages as m
from bot.engine.loader import FlowSet
from bot.engine.render import Voice
from bot.engine.session import Plan


@dataclass(frozen=True, slots=True)
class OwnLists:
    needs_heading: str
    needs: tuple[str, ...]  # "a place to live - looking for help"
    saved_heading: str
    saved: tuple[str, ...]  # "Hope Recovery Center, +18605550142"


def own_lists(voice: Voice, flows: FlowSet, plan: Plan) -> OwnLists:
    """Needs with their status and saved places with their phone, in the voice's language,
    named in full (the page is the parent's own private link)."""
    needs = []
    for kind, need in plan.needs.items():
        if _private(flows, need.get("source")):
            continue
        label = m.NEED_LABELS.get(kind)
        status = m.NEED_STATUS.get(str(need.get("status")))
        name = voice(label) if label else kind.replace("_", " ")
        needs.append(f"{name} - {voice(status)}" if status else name)
    saved = []
    for item in plan.saved:
        record = plan.needs.get(str(item.get("need")))
        if record is not None and _private(flows, record.get("source")):
            continue
        phone = item.get("phone")
        saved.append(f"{item['name']}, {phone}" if phone else str(item["name"]))
    return OwnLists(
        voice(m.NEEDS_HEADER).rstrip(":"),
        tuple(needs),
        voice(m.SAVED_HEADER).rstrip(":"),
        tuple(saved),
    )


def _private(flows: FlowSet, source: object) -> bool:
    if not isinstance(source, list) or len(source) != 2:
        return False
    flow = flows.flows.get(str(source[0]))
    step = next((s for s in flow.steps if s.id == source[1]), None) if flow else None
    return step is not None and step.private
