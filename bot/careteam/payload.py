"""What a recipient is sent or shown: section snapshots, answers in plain English, bodies. Pure.

A whole plan as one reader may see it (the plan API, FHIR, the dashboard) is plan_view.py."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import phonenumbers

from bot.engine.events import AnswerRecord
from bot.engine.loader import FlowSet
from bot.engine.model import Flow, Step
from bot.engine.session import Session

# Every body and API answer carries this. Written for Safe Start (not quoted from the rule):
# it says what 42 CFR Part 2 and HIPAA expect a recipient to know before sharing further.
REDISCLOSURE_NOTICE = (
    "Shared by the parent's written consent through {program}. This information is protected "
    "by federal privacy law (HIPAA and, for substance-use treatment information, 42 CFR Part "
    "2). You may not share it with anyone else, or use it against the parent in any civil, "
    "criminal, administrative or legislative proceeding, unless the parent agrees in writing "
    "or the law allows it."
)
_PLAN_ID = re.compile(r"^[0-9a-f]{32}$")
_PLACEHOLDER = re.compile(r"\{(program|plan|name)\}")


def plan_id_of(contact: str) -> str:
    """A contact id `{c:<hex>}` as it appears in URLs and bodies: the hex alone."""
    return contact[3:-1]


def contact_of(plan_id: str) -> str | None:
    return "{c:" + plan_id + "}" if _PLAN_ID.match(plan_id) else None


def webhook_id(*parts: object) -> str:
    """A stable `webhook-id`: the same delivery always gets the same id, so receivers dedupe."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"msg_{digest[:32]}"


def encode_body(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _json_value(value: Any) -> Any:
    """Typed answer values (dates, times) as the JSON the contract sends."""
    if isinstance(value, date | time | datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


# ---- snapshots ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionSnapshot:
    """One confirmed version of a section, as the parent said yes to it."""

    section: str
    version: int
    completed_at: str
    answers: tuple[tuple[str, Any], ...]  # (step id, JSON value or None when skipped)
    locale: str = "en"
    parent: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "version": self.version,
            "completed_at": self.completed_at,
            "answers": [list(a) for a in self.answers],
            "locale": self.locale,
            "parent": dict(self.parent),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SectionSnapshot:
        return cls(
            section=data["section"],
            version=int(data["version"]),
            completed_at=data["completed_at"],
            answers=tuple((k, v) for k, v in data["answers"]),
            locale=data.get("locale", "en"),
            parent=dict(data.get("parent", {})),
        )


def snapshot_from_event(
    section: str,
    version: int,
    records: Iterable[AnswerRecord],
    completed_at: datetime,
    session: Session | None,
) -> SectionSnapshot:
    answers = tuple((r.key, None if r.skipped else _json_value(r.value)) for r in records)
    return SectionSnapshot(
        section,
        version,
        completed_at.isoformat(),
        answers,
        session.locale if session else "en",
        parent_view(session),
    )


def snapshot_from_plan(flow: Flow, session: Session) -> SectionSnapshot | None:
    """The section as the plan holds it now (what the API serves), in flow order."""
    plan = session.plan
    if not plan.is_done(flow.id):
        return None
    values = plan.answers.get(flow.id, {})
    answers = tuple((s.id, values[s.id]) for s in flow.steps if s.id in values)
    return SectionSnapshot(
        flow.id,
        plan.versions.get(flow.id, 1),
        plan.completed_at[flow.id],
        answers,
        session.locale,
        parent_view(session),
    )


def parent_view(session: Session | None) -> dict[str, Any]:
    """Who the plan is about, and no more: the name the parent gave and the baby's date.

    Every disclosure names the parent (a Part 2 consent covers the patient's name). Phone,
    ZIP code and the other onboarding answers have no consent question, so they stay here.
    """
    if session is None:
        return {}
    about = session.plan.answers.get("onboarding", {})
    view: dict[str, Any] = {}
    for key in ("name", "stage", "due_date", "birth_date"):
        if about.get(key) is not None:
            view[key] = about[key]
    return view


def baby_date(session: Session | None) -> date | None:
    about = session.plan.answers.get("onboarding", {}) if session else {}
    raw = about.get("birth_date") or about.get("due_date")
    return date.fromisoformat(raw) if isinstance(raw, str) else None


# ---- answers in plain English -------------------------------------------------------------


def answer_text(step: Step, value: Any) -> str:
    """The answer as a person reads it; the typed value travels next to it."""
    if value is None:
        return "Skipped"
    if step.type == "yes_no":
        return "Yes" if value else "No"
    if step.type == "choice":
        return choice_label(step, value)
    if step.type == "multi":
        return ", ".join(choice_label(step, v) for v in value)
    if step.type == "date":
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return f"{day:%B} {day.day}, {day.year}"
    if step.type == "time":
        moment = time.fromisoformat(value) if isinstance(value, str) else value
        return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
    if step.type == "phone":
        number = phonenumbers.parse(str(value), "US")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return str(value)


def choice_label(step: Step, value: str) -> str:
    return next((c.label for c in step.choices if c.value == value), str(value))


@dataclass(frozen=True, slots=True)
class Names:
    """What the flow texts' placeholders stand for in a question sent to the team."""

    program: str = "Safe Start"
    plan: str = "Plan of Safe Care"


def question_text(step: Step, names: Names, parent_name: str) -> str:
    values = {"program": names.program, "plan": names.plan, "name": parent_name or "the parent"}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], step.ask)


def section_object(
    snapshot: SectionSnapshot, flow: Flow, *, include_private: bool, names: Names
) -> dict[str, Any]:
    """The `section` of the contract. Private answers not consented to are left out entirely."""
    name = str(snapshot.parent.get("name", ""))
    answers = []
    for key, value in snapshot.answers:
        step = answered_step(flow, key)
        if step is None or (step.private and not include_private):
            continue
        answers.append(
            {
                "key": key,
                "question": question_text(step, names, name),
                "answer": answer_text(step, value),
                "value": value,
            }
        )
    return {
        "key": snapshot.section,
        "title": flow.title,
        "version": snapshot.version,
        "completed_at": snapshot.completed_at,
        "answers": answers,
    }


def answered_step(flow: Flow, key: str) -> Step | None:
    """The step behind an answer; None when a later version of the flow dropped it (such an
    answer is left out: without its step no one can tell whether it was private)."""
    try:
        return flow.step(key)
    except KeyError:
        return None


def notice(names: Names) -> str:
    return REDISCLOSURE_NOTICE.format(program=names.program)


def section_body(
    plan_id: str,
    snapshot: SectionSnapshot,
    flows: FlowSet,
    *,
    include_private: bool,
    names: Names,
) -> dict[str, Any]:
    """The DESIGN.md webhook body for one finished section, with the re-disclosure notice."""
    flow = flows[snapshot.section]
    return {
        "type": "plan.section.completed",
        "plan_id": plan_id,
        "section": section_object(snapshot, flow, include_private=include_private, names=names),
        "parent": dict(snapshot.parent),
        "locale": snapshot.locale,
        "notice": notice(names),
    }


def alert_body(
    kind: str,
    plan_id: str,
    *,
    at: datetime,
    session: Session | None,
    address: str | None,
    detail: Mapping[str, Any],
    names: Names,
) -> dict[str, Any]:
    """plan.crisis / plan.handoff_requested: only what a person needs to reach the parent.

    No section answers ride along. The phone number does, because the parent asked for a
    person (TALK) or used crisis words, and no one can act without a way to reach them.
    """
    contact: dict[str, Any] = {}
    if address and address.startswith("+"):
        contact["phone"] = address
    elif address:
        contact["channel"] = address.split(":", 1)[0]  # e.g. "web": reply on the dashboard
    name = parent_view(session).get("name")
    return {
        "type": kind,
        "plan_id": plan_id,
        "at": at.isoformat(),
        **dict(detail),
        "parent": {"name": name} if name else {},
        "contact": contact,
        "locale": session.locale if session else "en",
        "notice": notice(names),
    }
