"""A whole plan as one reader may see it: the sections they are consented for, the needs and
visits those sections show, and the plan as GET /api/v1/plans/{plan_id} serves it. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.careteam.consent import ConsentRecord
from bot.careteam.payload import Names, SectionSnapshot, answered_step, notice, section_object
from bot.engine.model import Flow, Step


@dataclass(frozen=True, slots=True)
class VisibleSection:
    """A finished section a reader is consented for; `changing`: edited, not yet re-confirmed."""

    snapshot: SectionSnapshot
    flow: Flow
    include_private: bool
    changing: bool = False


@dataclass(frozen=True, slots=True)
class Need:
    code: str
    section: str
    step: str
    answer: str


@dataclass(frozen=True, slots=True)
class KnownVisit:
    """A visit date the parent gave in a section (every date question in a section is one)."""

    section: str
    step: str
    label: str
    day: date


def shown_answers(section: VisibleSection) -> list[tuple[Step, Any]]:
    """The (step, value) pairs this reader may see, in flow order."""
    shown = []
    for key, value in section.snapshot.answers:
        step = answered_step(section.flow, key)
        if step is not None and (section.include_private or not step.private):
            shown.append((step, value))
    return shown


def needs_of(section: VisibleSection) -> list[Need]:
    """Needs the parent's choices point to (flow choices tagged `need:`), in flow order."""
    found: list[Need] = []
    for step, value in shown_answers(section):
        picked = value if step.type == "multi" and isinstance(value, list) else [value]
        for choice in step.choices:
            if choice.need and choice.value in picked:
                found.append(Need(choice.need, section.flow.id, step.id, choice.label))
    return found


def visits_of(section: VisibleSection) -> list[KnownVisit]:
    return [
        KnownVisit(section.flow.id, step.id, step.label, date.fromisoformat(value))
        for step, value in shown_answers(section)
        if step.type == "date" and isinstance(value, str)
    ]


@dataclass(frozen=True, slots=True)
class PlanView:
    """Everything one reader may see of one plan; sections it may not see are absent."""

    plan_id: str
    locale: str
    parent: Mapping[str, Any]
    sections: tuple[VisibleSection, ...]
    consents: tuple[ConsentRecord, ...]  # the permits that let this reader see the sections
    names: Names
    intermediary: str
    organization_names: Mapping[str, str] = field(default_factory=dict)
    # The plan's need records by kind (status, owner, referral date, version): only those
    # of needs a visible section shows are ever read out of it.
    need_records: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def need_record(self, need: Need) -> Mapping[str, Any]:
        record = self.need_records.get(need.code, {})
        return {
            "status": record.get("status", "need"),
            "owner": record.get("owner"),
            "referred_on": record.get("referred_on"),
            "version": record.get("version", 1),
        }


def plan_json(view: PlanView) -> dict[str, Any]:
    """GET /api/v1/plans/{plan_id}: the sections as in webhook bodies, plus needs and visits."""
    sections = []
    for visible in view.sections:
        item = section_object(
            visible.snapshot,
            visible.flow,
            include_private=visible.include_private,
            names=view.names,
        )
        item["status"] = "changing" if visible.changing else "completed"
        sections.append(item)
    return {
        "plan_id": view.plan_id,
        "locale": view.locale,
        "parent": dict(view.parent),
        "sections": sections,
        "needs": [
            {
                "need": n.code,
                "section": n.section,
                "question": n.step,
                "answer": n.answer,
                **view.need_record(n),
            }
            for s in view.sections
            for n in needs_of(s)
        ],
        "visits": [
            {"section": v.section, "question": v.step, "label": v.label, "date": v.day.isoformat()}
            for s in view.sections
            for v in visits_of(s)
        ],
        "consents": [c.to_json() for c in view.consents],
        "intermediary": view.intermediary,
        "notice": notice(view.names),
    }
