"""SHARING (who sees what; a number stops sharing with one role or organization, then with
one part or all, or shares a part stopped for an organization again after a new yes) and STOP
SHARING (with everyone). Each holds for every later delivery."""

from __future__ import annotations

from typing import Any

from bot.engine import messages as m
from bot.engine.context import title
from bot.engine.discretion import organization_name
from bot.engine.events import AnswerChanged, ConsentChanged, SharingResumed, SharingWithheld
from bot.engine.model import Flow, Step
from bot.engine.parsing import ParseFailed, parse_yes_no
from bot.engine.render import pack
from bot.engine.session import Session
from bot.engine.sharing import WITHHELD, recipients, role_name, withheld, without_role
from bot.engine.turn import Turn
from bot.engine.walker import Walker


def show_sharing(w: Walker, turn: Turn, argument: str = "") -> None:
    """Who sees what, one numbered line per recipient; a number stops sharing with one."""
    session = turn.session
    steps = w.consent_steps()
    shown = recipients(steps, session.plan)
    if not shown:
        turn.say(m.SHARING_NONE)
        w.prompt(turn)
        return
    lines = [turn.voice(m.SHARING_HEADER)] + [
        turn.voice(
            m.SHARING_ITEM,
            number=number,
            who=_role_name(w, turn, role),
            parts=", ".join(_part_name(w, turn, step) for step in parts),
        )
        for number, (role, parts) in enumerate(shown, 1)
    ]
    items: list[Any] = [role for role, _ in shown]
    # By organization: the parts each gets, then the parts the parent stopped for each.
    stopped = []
    for header, stops in ((m.SHARING_ORGANIZATIONS, False), (m.SHARING_STOPPED_HEADER, True)):
        found = _parts_by_organization(w, session, stopped=stops)
        lines += [turn.voice(header)] if found else []
        for number, (org, name, parts) in enumerate(found, len(items) + 1):
            names = ", ".join(_part_name(w, turn, step) for step in parts)
            lines.append(turn.voice(m.SHARING_ITEM, number=number, who=name, parts=names))
            items.append({"organization": org, "name": name, "stopped": stops})
        stopped += found if stops else []
    turn.replies.extend(pack(lines))
    turn.say(m.SHARING_HOW_TO_STOP)
    if stopped:
        turn.say(m.SHARING_HOW_TO_RESUME)
    session.listing = {"kind": "sharing", "items": items}


def details(w: Walker, turn: Turn, argument: str = "") -> None:
    """DETAILS: the full consent details behind a sharing question asked in its shared-phone
    form (Walker.asks_discreetly), after a one-line warning: the organizations by name, the
    intermediary, exactly what the part holds, the date, how long it lasts, and the question
    itself with every role named. Elsewhere: where private details are (MY PLAN)."""
    session = turn.session
    step = w.current_step(session)
    flow = w.flows[session.flow] if step is not None and session.flow else None
    if step is None or flow is None or "ConsentChanged" not in flow.emits:
        turn.say(m.SEE_PRIVATE)
        w.prompt(turn)
        return
    if session.plan.shared_phone():
        turn.say(m.DETAILS_WARNING)
    if step.shares and step.shares in w.flows.flows:
        turn.replies.extend(w.consent_details(turn, w.flows[step.shares], full=True))
        turn.say(m.SHARING_RESUME_TERMS)
    turn.replies.append(turn.voice.question(step))


def stop_sharing(w: Walker, turn: Turn, argument: str = "") -> None:
    _revoke(w, turn)


def pick_recipient(w: Walker, turn: Turn, item: Any, number: int) -> None:
    """A number from the SHARING list: a role (str) or an organization (dict), one it gets
    parts or one the parent stopped parts for."""
    if isinstance(item, dict) and item.get("stopped"):
        _ask_which_stopped(w, turn, str(item["organization"]), str(item["name"]))
    elif isinstance(item, dict):
        _ask_which_part_for(w, turn, str(item["organization"]), str(item["name"]))
    else:
        _ask_which_part(w, turn, str(item))


def pick_organization_part(w: Walker, turn: Turn, item: Any, number: int) -> None:
    org, name, only = item
    _withhold(w, turn, str(org), str(name), str(only) or None)


def pick_role_part(w: Walker, turn: Turn, item: Any, number: int) -> None:
    role, only = item
    _revoke(w, turn, str(role), only=str(only) or None)


def pick_stopped_part(w: Walker, turn: Turn, item: Any, number: int) -> None:
    org, name, step_id = item
    _ask_resume(w, turn, str(org), str(name), str(step_id))


def _parts_by_organization(
    w: Walker, session: Session, *, stopped: bool = False
) -> list[tuple[str, str, list[Step]]]:
    """Each organization serving the parent (from the directory) and the parts it gets:
    every part shared with some role, less those stopped for that organization (stopped:
    the parts shared with some role that the parent stopped for it)."""
    code = session.plan.answer(w.flows.onboarding.id, "zip")
    if not code:
        return []
    where = w.zip_lookup(str(code))
    orgs = w.team.named(str(code), where.state if where else None)
    shared = {s.id: s for _, steps in recipients(w.consent_steps(), session.plan) for s in steps}
    out = withheld(session.plan)
    discreet = session.plan.shared_phone()
    voice = w.voice(session)
    found = []
    for position, (org, name) in enumerate(orgs, 1):
        parts = [s for sid, s in shared.items() if (org in out.get(sid, [])) == stopped]
        number = w.team.number(org, position)
        if parts:
            found.append((org, organization_name(voice, name, number, discreet=discreet), parts))
    return found


def _ask_which_part_for(w: Walker, turn: Turn, org: str, name: str) -> None:
    """One organization: stop one of the parts it gets, or all of them."""
    parts = next((p for o, _, p in _parts_by_organization(w, turn.session) if o == org), [])
    lines = [turn.voice(m.SHARING_WHICH_PART, who=name)]
    lines += [f"{n}. {_part_name(w, turn, step)}" for n, step in enumerate(parts, 1)]
    lines.append(f"{len(parts) + 1}. {turn.voice(m.SHARING_ALL_PARTS)}")
    turn.replies.extend(pack(lines))
    items = [[org, name, step.id] for step in parts] + [[org, name, ""]]
    turn.session.listing = {"kind": "sharing_org_part", "items": items}


def _withhold(w: Walker, turn: Turn, org: str, name: str, only: str | None) -> None:
    """Stop one part (or every part) going to one organization, from now on."""
    plan = turn.session.plan
    stopped = withheld(plan)
    shared = [s for _, steps in recipients(w.consent_steps(), plan) for s in steps]
    for step in dict.fromkeys(shared):
        if (only is None or step.id == only) and org not in stopped.get(step.id, []):
            stopped.setdefault(step.id, []).append(org)
            turn.events.append(SharingWithheld(step.id, org))
    plan.prefs[WITHHELD] = {k: list(v) for k, v in stopped.items()}
    if only is None:
        turn.say(m.SHARING_STOPPED_ONE, who=name)
    else:
        part = _consent_step(w, only)
        turn.say(m.SHARING_STOPPED_PART, who=name, part=_part_name(w, turn, part))
    w.prompt(turn)


def _ask_which_stopped(w: Walker, turn: Turn, org: str, name: str) -> None:
    """One organization the parent stopped parts for: which one to share again."""
    found = _parts_by_organization(w, turn.session, stopped=True)
    parts = next((p for o, _, p in found if o == org), [])
    if len(parts) == 1:
        _ask_resume(w, turn, org, name, parts[0].id)
        return
    lines = [turn.voice(m.SHARING_WHICH_STOPPED, who=name)]
    lines += [f"{n}. {_part_name(w, turn, step)}" for n, step in enumerate(parts, 1)]
    turn.replies.extend(pack(lines))
    items = [[org, name, step.id] for step in parts]
    turn.session.listing = {"kind": "sharing_stopped_part", "items": items}


def _ask_resume(w: Walker, turn: Turn, org: str, name: str, step_id: str) -> None:
    """Sharing a stopped part again is a new disclosure decision (42 CFR 2.31): before the
    yes, who gets it (this organization, through whom), what it holds, the date and how long
    it lasts, as the consent question itself shows them."""
    step = _consent_step(w, step_id)
    if step.shares and step.shares in w.flows.flows:
        turn.replies.extend(w.consent_details(turn, w.flows[step.shares], organizations=[name]))
    turn.say(m.SHARING_RESUME_TERMS)
    turn.say(m.SHARING_RESUME_ASK, who=name, part=_part_name(w, turn, step))
    turn.session.listing = {"kind": "sharing_resume", "items": [[org, name, step_id]]}


def answer_resume(w: Walker, turn: Turn, item: Any, folded: str, command: str | None) -> bool:
    """The reply to "share it again?": only an explicit yes (a word, not a number) shares it
    again; anything else leaves it stopped. False when the reply is another command, which
    then runs as usual."""
    org, name, step_id = (str(v) for v in item)
    if command == "details":
        _resume_details(w, turn, org, name, step_id)
        return True
    try:
        agreed = not folded.isdigit() and parse_yes_no(folded, turn.session.locale)
    except ParseFailed:
        agreed = False
    step = _consent_step(w, step_id)
    part = _part_name(w, turn, step)
    plan = turn.session.plan
    stopped = withheld(plan)
    if not (agreed and command in (None, "start") and org in stopped.get(step_id, [])):
        turn.say(m.SHARING_RESUME_KEPT, who=name, part=part)
        if command not in (None, "start"):
            return False
        w.prompt(turn)
        return True
    stopped[step_id].remove(org)
    plan.prefs[WITHHELD] = {k: list(v) for k, v in stopped.items() if v}
    turn.events.append(SharingResumed(step_id, org))
    turn.say(m.SHARING_RESUMED, who=name, part=part)
    w.prompt(turn)
    return True


def _resume_details(w: Walker, turn: Turn, org: str, name: str, step_id: str) -> None:
    """DETAILS at "share it again?": the organization by its directory name, what the part
    holds by its answers (after the warning on a shared phone); the question stays open."""
    session = turn.session
    step = _consent_step(w, step_id)
    code = session.plan.answer(w.flows.onboarding.id, "zip")
    where = w.zip_lookup(str(code)) if code else None
    named = dict(w.team.named(str(code), where.state if where else None)) if code else {}
    if session.plan.shared_phone():
        turn.say(m.DETAILS_WARNING)
    if step.shares and step.shares in w.flows.flows:
        full = [named.get(org, name)]
        turn.replies.extend(w.consent_details(turn, w.flows[step.shares], full, full=True))
    turn.say(m.SHARING_RESUME_TERMS)
    turn.say(m.SHARING_RESUME_ASK, who=name, part=_part_name(w, turn, step))
    session.listing = {"kind": "sharing_resume", "items": [[org, name, step_id]]}


def _consent_step(w: Walker, step_id: str) -> Step:
    return next(s for _, s in w.consent_steps() if s.id == step_id)


def _ask_which_part(w: Walker, turn: Turn, role: str) -> None:
    """A recipient who sees several parts: stop one part, or all of them."""
    parts = dict(recipients(w.consent_steps(), turn.session.plan)).get(role, [])
    if len(parts) <= 1:
        _revoke(w, turn, role)
        return
    who = _role_name(w, turn, role)
    lines = [turn.voice(m.SHARING_WHICH_PART, who=who)]
    lines += [f"{n}. {_part_name(w, turn, step)}" for n, step in enumerate(parts, 1)]
    lines.append(f"{len(parts) + 1}. {turn.voice(m.SHARING_ALL_PARTS)}")
    turn.replies.extend(pack(lines))
    items = [[role, step.id] for step in parts] + [[role, ""]]
    turn.session.listing = {"kind": "sharing_part", "items": items}


def _role_name(w: Walker, turn: Turn, role: str) -> str:
    """A role by its label (shared phone: treatment or recovery by number)."""
    discreet = turn.session.plan.shared_phone()
    return role_name(turn.voice, (s for _, s in w.consent_steps()), role, discreet=discreet)


def _part_name(w: Walker, turn: Turn, step: Step) -> str:
    """The part a consent step is about, by its title (shared phone: by number)."""
    if step.shares and step.shares in w.flows.flows:
        return title(turn.voice, turn.session, w.flows[step.shares])
    return turn.voice(step.label)


def _revoke(w: Walker, turn: Turn, role: str | None = None, only: str | None = None) -> None:
    """Revoke sharing with one role (for one consent step `only`, or all), or with
    everyone; it holds for every later delivery."""
    session = turn.session
    changed: dict[str, Flow] = {}
    for flow, step in w.consent_steps():
        if not session.plan.has_answer(flow.id, step.id):
            continue
        if only is not None and step.id != only:
            continue
        answers = session.plan.answers[flow.id]
        if role is not None and (step.type != "multi" or role not in (answers[step.id] or [])):
            continue  # one role: its yes/no steps (Part 2's yeses) are everyone's, kept
        revoked = without_role(step, answers[step.id], role)
        if answers[step.id] != revoked:
            turn.events.append(AnswerChanged(flow.id, step.id, answers[step.id], revoked))
            answers[step.id] = revoked
            changed[flow.id] = flow
    for flow in changed.values():
        turn.events.append(ConsentChanged(flow.id, w.records(flow, session)))
    if role is None:
        turn.say(m.SHARING_STOPPED)
    elif only is not None:
        who = _role_name(w, turn, role)
        part = _consent_step(w, only)
        turn.say(m.SHARING_STOPPED_PART, who=who, part=_part_name(w, turn, part))
    else:
        who = _role_name(w, turn, role)
        turn.say(m.SHARING_STOPPED_ONE, who=who)
    w.prompt(turn)
