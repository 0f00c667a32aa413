"""The FHIR Bundle of a whole plan: validates with fhir.resources, round-trips, codes in range."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from bot.careteam.consent import NOTHING, derive
from bot.careteam.fhir import ALLOWED, _code, build_bundle
from bot.careteam.payload import Names, parent_view, snapshot_from_plan
from bot.careteam.plan_view import PlanView, VisibleSection, plan_json
from bot.engine.machine import Engine
from bot.engine.session import Session
from tests.drive import next_text

NOW = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)
ANSWERS = {"housing_now": "3", "share_health": "1, 2", "share_basic_needs": "1"}


def whole_plan(engine: Engine) -> Session:
    """A plan finished through the engine alone (no store), with a housing need in it."""
    session, now = Session(), NOW
    for _ in range(400):
        text = next_text(engine, session, now.date())
        if text is None:
            return session
        if session.mode == "ask" and session.step in ANSWERS:
            text = ANSWERS[session.step]
        now += timedelta(seconds=3)
        session = engine.step(session, text, now).session
    raise AssertionError("the plan did not finish")


def view_of(session: Session, engine: Engine) -> PlanView:
    """Every finished section visible, with the consent records its care_team answers make."""
    consent = derive(
        session.plan.answers["care_team"],
        previous=NOTHING,
        at=NOW,
        source="1-0",
        organizations=["hope"],
        baby_date=None,
        text_version="care_team@test",
        zone=UTC,
    )
    sections = []
    for flow in engine.flows.sections:
        snapshot = snapshot_from_plan(flow, session)
        if snapshot is not None and flow.id != "care_team":
            sections.append(VisibleSection(snapshot, flow, include_private=True))
    return PlanView(
        plan_id="ab" * 16,
        locale=session.locale,
        parent=parent_view(session),
        sections=tuple(sections),
        consents=consent.records,
        names=Names(),
        intermediary="Safe Start",
        organization_names={"hope": "Hartford Hope"},
        need_records=session.plan.needs,
    )


@pytest.fixture(scope="module")
def bundle(shipped_engine: Engine) -> tuple[Bundle, PlanView]:
    view = view_of(whole_plan(shipped_engine), shipped_engine)
    return build_bundle(view, "https://safestart.test", now=NOW), view


def resources(bundle: Bundle, kind: str) -> list[Any]:
    return [e.resource for e in bundle.entry or [] if e.resource.get_resource_type() == kind]


def test_the_bundle_validates_and_round_trips_through_json(bundle: tuple[Bundle, PlanView]) -> None:
    built, _ = bundle
    text = built.model_dump_json()
    again = Bundle.model_validate_json(text)
    assert again.model_dump_json() == text
    assert Bundle.model_validate(again.model_dump()) == again


def test_it_holds_a_response_per_section_a_care_plan_consents_and_visits(
    bundle: tuple[Bundle, PlanView],
) -> None:
    built, view = bundle
    responses = resources(built, "QuestionnaireResponse")
    assert [r.questionnaire.rsplit("/", 1)[1] for r in responses] == [
        s.flow.id for s in view.sections
    ]
    (care_plan,) = resources(built, "CarePlan")
    needs = [a.detail.code.coding[0].code for a in care_plan.activity if a.detail]
    assert "housing" in needs
    visits = resources(built, "Appointment")
    assert {v.description for v in visits} >= {"Next check-up"}
    linked = {a.reference.reference for a in care_plan.activity if a.reference}
    assert linked == {f"urn:uuid:{v.id}" for v in visits}
    consents = resources(built, "Consent")
    assert len(consents) == len(view.consents)
    health = [c for c in view.consents if c.section == "health"]
    assert sorted(c.role for c in health) == ["medical", "social_worker"]


def test_every_code_written_is_in_its_r4_value_set(bundle: tuple[Bundle, PlanView]) -> None:
    """fhir.resources does not check coded values, so the test walks them."""
    data = bundle[0].model_dump()
    seen: list[tuple[str, str]] = [("Bundle.type", data["type"])]
    for entry in data["entry"]:
        r = entry["resource"]
        kind = r["resourceType"]
        seen.append((f"{kind}.status", r["status"]))
        if kind == "CarePlan":
            seen.append(("CarePlan.intent", r["intent"]))
            for activity in r.get("activity", []):
                if "detail" in activity:
                    seen.append(("CarePlan.activity.detail.status", activity["detail"]["status"]))
                    seen.append(("CarePlan.activity.detail.kind", activity["detail"]["kind"]))
        if kind == "Consent":
            seen.append(("Consent.scope", r["scope"]["coding"][0]["code"]))
            seen.append(("Consent.provision.type", r["provision"]["type"]))
            for action in r["provision"]["action"]:
                seen.append(("Consent.provision.action", action["coding"][0]["code"]))
        if kind == "Appointment":
            assert "start" not in r  # a day without a time: requestedPeriod (R4 app-3)
            for participant in r["participant"]:
                seen.append(("Appointment.participant.status", participant["status"]))
    for field, value in seen:
        assert value in ALLOWED[field], (field, value)
    with pytest.raises(ValueError, match="not in its R4 value set"):
        _code("QuestionnaireResponse.status", "done")


def test_private_answers_left_out_are_absent_from_both_views(
    bundle: tuple[Bundle, PlanView],
) -> None:
    """Without the private-answer yes, feel_safe is missing from the Bundle and the JSON."""
    _, view = bundle
    closed = replace(view, sections=tuple(replace(s, include_private=False) for s in view.sections))
    text = build_bundle(closed, "https://safestart.test", now=NOW).model_dump_json()
    assert '"linkId":"feel_safe"' not in text
    safety = next(s for s in plan_json(closed)["sections"] if s["key"] == "safety")
    assert "feel_safe" not in {a["key"] for a in safety["answers"]}
    full = build_bundle(view, "https://safestart.test", now=NOW).model_dump_json()
    assert '"linkId":"feel_safe"' in full


def test_a_need_the_team_referred_shows_as_a_scheduled_activity(shipped_engine: Engine) -> None:
    """The CarePlan carries each need's status from its record, not just that it exists."""
    session = whole_plan(shipped_engine)
    assert session.plan.needs["housing"]["status"] == "need"
    session.plan.needs["housing"] = {**session.plan.needs["housing"], "status": "referred"}
    built = build_bundle(view_of(session, shipped_engine), "https://safestart.test", now=NOW)
    (care_plan,) = resources(built, "CarePlan")
    status = {a.detail.code.coding[0].code: a.detail.status for a in care_plan.activity if a.detail}
    assert status["housing"] == "scheduled"
