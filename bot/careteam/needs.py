"""Needs as the care team sees and changes them: who may, the change itself, the body. Pure.

A need (session.plan.needs[kind], written by the engine from the parent's answers) is shown
to a member or endpoint exactly when the answer behind it is: consent for its section, and
for a private answer (feeling safe at home) the private yes as well. Whether a need exists
in a section the reader may not see is never revealed: asking about a kind that could only
come from such a section is refused the same way whether the parent has it or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.careteam.access import access_for
from bot.careteam.consent import ConsentState
from bot.careteam.errors import NeedConflict, NeedForbidden, NeedInvalid, NeedNotFound
from bot.careteam.payload import Names, notice
from bot.engine.events import Event, NeedChanged
from bot.engine.loader import FlowSet
from bot.engine.session import NeedStatus, Session
from bot.engine.today import local_today

Source = tuple[str, str]  # (section, step) whose answer shows the need
# Fields a member may change; "version" only guards against a change made meanwhile.
CHANGEABLE: tuple[str, ...] = ("status", "owner", "notes", "referred_on")


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is looking: the roles and organization consent is checked against."""

    roles: frozenset[str]
    organization: str


def source_of(need: Mapping[str, Any]) -> Source:
    section, step = need["source"]
    return str(section), str(step)


def sources_of_kind(flows: FlowSet, kind: str) -> list[Source]:
    """Every (section, step) of the flows whose choices can show a need of this kind."""
    return [
        (flow.id, step.id)
        for flow in flows.sections
        for step in flow.steps
        if any(choice.need == kind for choice in step.choices)
    ]


def may_see(
    source: Source, flows: FlowSet, state: ConsentState, reader: Reader, now: datetime
) -> bool:
    """True when consent lets this reader see the answer behind a need."""
    section, step_id = source
    seen = access_for(state, reader.roles, reader.organization, now)
    if section not in seen.sections:
        return False
    try:
        private = flows[section].step(step_id).private
    except KeyError:
        private = True  # a step a later flow dropped: no one can tell, so treat it as private
    return not private or seen.includes_private(section)


def authorize(
    session: Session,
    kind: str,
    flows: FlowSet,
    state: ConsentState,
    reader: Reader,
    now: datetime,
) -> Source:
    """The source of the need this reader may change; NeedForbidden or NeedNotFound if none."""
    need = session.plan.needs.get(kind)
    if need is not None:
        source = source_of(need)
        if may_see(source, flows, state, reader, now):
            return source
        raise NeedForbidden(kind)
    possible = sources_of_kind(flows, kind)
    if possible and not any(may_see(s, flows, state, reader, now) for s in possible):
        raise NeedForbidden(kind)  # the same answer as for a need the reader may not see
    raise NeedNotFound(kind)


@dataclass(frozen=True, slots=True)
class NeedChange:
    """What a member asked to change; `given` names the fields present (null clears owner)."""

    given: frozenset[str]
    status: NeedStatus | None = None
    owner: str | None = None
    notes: str | None = None
    referred_on: date | None = None
    version: int | None = None


def apply_change(
    session: Session,
    kind: str,
    change: NeedChange,
    *,
    source: Source,
    by: str,
    at: datetime,
    default_timezone: str,
) -> tuple[Session, list[Event]]:
    """The session with the need changed (version + 1, one history line) and its event.

    `source` is what the change was authorized against: a need that moved to another
    section meanwhile is a conflict, not a change. Going to "referred" without a date sets
    the referral date to today (the parent's local date). Nothing differs: the session as it
    was, and no event.
    """
    need = session.plan.needs.get(kind)
    if need is None:
        raise NeedNotFound(kind)
    if source_of(need) != source:
        raise NeedConflict(f"{kind} now comes from another section")
    if change.version is not None and change.version != int(need.get("version", 1)):
        raise NeedConflict(f"{kind} is at version {need.get('version', 1)}")
    today = local_today(at, session.timezone, default_timezone)
    if change.referred_on is not None and change.referred_on > today:
        raise NeedInvalid("referred_on is in the future")
    wanted = {name: getattr(change, name) for name in CHANGEABLE if name in change.given}
    if "status" in wanted and wanted["status"] is None:
        raise NeedInvalid("status may not be null")
    if "referred_on" in wanted:
        day = wanted["referred_on"]
        wanted["referred_on"] = day.isoformat() if day is not None else None
    referred_on = wanted.get("referred_on") or need.get("referred_on")
    if wanted.get("status") == "referred" and not referred_on:
        wanted["referred_on"] = today.isoformat()
    if "notes" in wanted:
        wanted["notes"] = (wanted["notes"] or "").strip()
    if all(need.get(name) == value for name, value in wanted.items()):
        return session, []
    changed = {**need, **wanted}
    changed["version"] = int(need.get("version", 1)) + 1
    note = str(wanted.get("notes", ""))
    entry = {"at": at.isoformat(), "status": changed["status"], "by": by, "note": note}
    changed["history"] = [*need.get("history", []), entry]
    updated = session.copy()
    updated.plan.needs[kind] = changed
    section, step = source
    return updated, [NeedChanged(kind, str(changed["status"]), section, step, by, note)]


def need_json(need: Mapping[str, Any]) -> dict[str, Any]:
    """A need as the API answers it: what the team works with, history included."""
    section, step = source_of(need)
    return {
        "kind": need["kind"],
        "status": need["status"],
        "section": section,
        "question": step,
        "owner": need.get("owner"),
        "referred_on": need.get("referred_on"),
        "notes": need.get("notes", ""),
        "version": int(need.get("version", 1)),
        "history": [dict(h) for h in need.get("history", [])],
    }


def need_body(
    plan_id: str, need: Mapping[str, Any], *, locale: str, names: Names
) -> dict[str, Any]:
    """plan.need.updated: the need's state, no notes or history (they stay on the API)."""
    section, _ = source_of(need)
    return {
        "type": "plan.need.updated",
        "plan_id": plan_id,
        "need": {
            "kind": need["kind"],
            "status": need["status"],
            "section": section,
            "owner": need.get("owner"),
            "referred_on": need.get("referred_on"),
            "version": int(need.get("version", 1)),
        },
        "locale": locale,
        "notice": notice(names),
    }
