"""Needs as the parent sees them: their names, which ones are never texted back, and local
services offered for needs just found (numbered across needs; a number saves one)."""

from __future__ import annotations

from dataclasses import replace

from bot.engine import messages as m
from bot.engine.context import Context, kept_back
from bot.engine.discretion import service_name
from bot.engine.model import Step
from bot.engine.render import pack
from bot.engine.session import Session
from bot.engine.sharing import recipients
from bot.engine.turn import Turn


def need_label(turn: Turn, kind: str) -> str:
    label = m.NEED_LABELS.get(kind)
    return turn.voice(label) if label else kind.replace("_", " ")


def unsaid(context: Context, session: Session, kind: str) -> bool:
    """Is this need never named in a text? Yes when a private answer shows it ("we won't
    text it back"), and on a shared phone when a sensitive answer does."""
    need = session.plan.needs.get(kind)
    source = need.get("source") if need else None
    if not isinstance(source, list) or len(source) != 2:
        return False
    flow = context.flows.flows.get(str(source[0]))
    step = next((s for s in flow.steps if s.id == source[1]), None) if flow else None
    if flow is None or step is None:
        return False
    if step.private:
        return True
    return kept_back(session.plan, flow, step)


def private_source(context: Context, session: Session, kind: str) -> bool:
    """Does a private answer ("we won't text it back") show this need? Then MY PLAN's page
    leaves it out as well, so no text points there for it."""
    step = _source_step(context, session, kind)
    return step is not None and step.private


def team_sees(context: Context, session: Session, kind: str) -> bool:
    """Will a change to this need reach anyone on the team? Only when the parent shares the
    part whose answer shows it (NeedChanged goes out under consent), and, for a private
    answer, said yes to its own extra question too (share_safety_private)."""
    need = session.plan.needs.get(kind)
    source = need.get("source") if need else None
    if not isinstance(source, list) or len(source) != 2:
        return False
    section = str(source[0])
    steps = [(f, s) for f, s in context.consent_steps() if s.shares == section]
    if not recipients([(f, s) for f, s in steps if s.type == "multi"], session.plan):
        return False
    step = _source_step(context, session, kind)
    if step is not None and step.private:
        yeses = [(f, s) for f, s in steps if s.type == "yes_no"]
        return bool(yeses) and all(session.plan.answer(f.id, s.id) is True for f, s in yeses)
    return True


def _source_step(context: Context, session: Session, kind: str) -> Step | None:
    need = session.plan.needs.get(kind)
    source = need.get("source") if need else None
    if not isinstance(source, list) or len(source) != 2:
        return None
    flow = context.flows.flows.get(str(source[0]))
    return next((s for s in flow.steps if s.id == source[1]), None) if flow else None


def offer_help(context: Context, turn: Turn, kinds: list[str]) -> None:
    """Local services for needs just found, numbered across needs; a number saves one."""
    session = turn.session
    zip_code = session.plan.answer(context.flows.onboarding.id, "zip")
    where = context.zip_lookup(str(zip_code)) if zip_code else None
    lines: list[str] = []
    items: list[list[str]] = []
    for kind in kinds:
        if unsaid(context, session, kind):
            continue
        listed = {item[0] for item in items}  # a place offered for two needs is listed once
        found = context.resource_finder(kind, where, session.locale)
        offers = [o for o in found if o.id not in listed][:3]
        if not offers:
            continue
        group = [turn.voice(m.OFFERS_HEADER, need=need_label(turn, kind))]
        for offer in offers:
            items.append([offer.id, kind, offer.name, offer.phone])
            name = service_name(turn.voice, offer.name, discreet=session.plan.shared_phone())
            group.append(replace(offer, name=name).line(len(items)))
        lines.append("\n".join(group))  # a heading never ends a text without its places
    if not items:
        return
    lines.append(turn.voice(m.OFFERS_HOW))
    turn.replies.extend(pack(lines))
    session.listing = {"kind": "offers", "items": items}
