"""One plan as a FHIR R4 Bundle (fhir.resources.R4B), as one reader may see it. Codes checked here.

fhir.resources validates structure and types but not coded values, so every status and code
this module writes is checked against the R4 value set it belongs to before the Bundle is
built. Resource ids are derived (uuid5) from the plan, section and version, so the same plan
gives the same ids on every read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from bot.careteam.consent import ConsentRecord
from bot.careteam.directory import ROLE_LABELS
from bot.careteam.payload import choice_label, question_text
from bot.careteam.plan_view import (
    KnownVisit,
    Need,
    PlanView,
    VisibleSection,
    needs_of,
    shown_answers,
    visits_of,
)
from bot.engine.model import Step

_NAMESPACE = uuid.UUID("6f1f4f0e-5a53-4c2a-9d3e-2b7f5d1c8a10")

V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
LOINC = "http://loinc.org"
PART2_POLICY = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"

# The R4 value sets of the codes written below (required bindings, and the example codes used).
ALLOWED: Mapping[str, frozenset[str]] = {
    "Bundle.type": frozenset({"document", "message", "transaction", "transaction-response",
                              "batch", "batch-response", "history", "searchset", "collection"}),
    "QuestionnaireResponse.status": frozenset({"in-progress", "completed", "amended",
                                               "entered-in-error", "stopped"}),
    "CarePlan.status": frozenset({"draft", "active", "on-hold", "revoked", "completed",
                                  "entered-in-error", "unknown"}),
    "CarePlan.intent": frozenset({"proposal", "plan", "order", "option"}),
    "CarePlan.activity.detail.status": frozenset({"not-started", "scheduled", "in-progress",
                                                  "on-hold", "completed", "cancelled", "stopped",
                                                  "unknown", "entered-in-error"}),
    "CarePlan.activity.detail.kind": frozenset({"Appointment", "CommunicationRequest",
                                                "DeviceRequest", "MedicationRequest",
                                                "NutritionOrder", "Task", "ServiceRequest",
                                                "VisionPrescription"}),
    "Consent.status": frozenset({"draft", "proposed", "active", "rejected", "inactive",
                                 "entered-in-error"}),
    "Consent.scope": frozenset({"adr", "research", "patient-privacy", "treatment"}),
    "Consent.provision.type": frozenset({"deny", "permit"}),
    "Consent.provision.action": frozenset({"collect", "access", "use", "disclose", "correct"}),
    "Appointment.status": frozenset({"proposed", "pending", "booked", "arrived", "fulfilled",
                                     "cancelled", "noshow", "entered-in-error", "checked-in",
                                     "waitlist"}),
    "Appointment.participant.status": frozenset({"accepted", "declined", "tentative",
                                                 "needs-action"}),
}  # fmt: skip

NEED_LABELS: Mapping[str, str] = {
    "housing": "Housing",
    "food": "Food",
    "insurance": "Health insurance",
    "phone": "Working phone",
    "money": "Money or utilities",
    "legal": "Legal help",
    "prenatal_care": "Prenatal care",
    "postpartum_care": "Postpartum care",
    "pain_plan": "Pain plan for birth",
    "feeding": "Feeding plan",
    "safe_sleep": "Safe sleep",
    "car_seat": "Car seat",
    "transportation": "Transportation",
    "treatment": "Substance-use treatment",
    "counseling": "Counseling",
    "peer_support": "Peer support",
    "naloxone": "Naloxone",
    "mental_health": "Mental health",
    "pediatric_care": "Pediatric care",
    "early_intervention": "Early intervention",
    "home_visiting": "Home visiting",
    "child_care": "Child care",
    "case_management": "Case management",
    "household_support": "Support for a household member's substance use",
    "parenting_support": "Parenting support",
    "safe_storage": "Safe storage of medicines",
    "safety": "Feeling safe at home",
}


_ACTION = "Consent.provision.action"


def _code(field: str, value: str) -> str:
    if value not in ALLOWED[field]:
        raise ValueError(f"{field} {value!r} is not in its R4 value set")
    return value


class Systems:
    """The program's own code systems and identifiers, under its public base URL."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/") + "/fhir"

    @property
    def plan(self) -> str:
        return f"{self.base}/sid/plan"

    @property
    def section(self) -> str:
        return f"{self.base}/CodeSystem/plan-section"

    @property
    def need(self) -> str:
        return f"{self.base}/CodeSystem/need"

    @property
    def role(self) -> str:
        return f"{self.base}/CodeSystem/care-team-role"

    def questionnaire(self, section: str) -> str:
        return f"{self.base}/Questionnaire/{section}"

    def choice(self, section: str, step: str) -> str:
        return f"{self.base}/CodeSystem/{section}-{step.replace('_', '-')}"


def _id(plan_id: str, *parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join((plan_id, *(str(p) for p in parts)))))


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def build_bundle(view: PlanView, base_url: str, *, now: datetime | None = None) -> Bundle:
    """The Bundle: a QuestionnaireResponse per visible section, one CarePlan, a Consent per
    permit that lets this reader see them, and an Appointment per visit date they hold."""
    systems = Systems(base_url)
    patient = {
        "identifier": {"system": systems.plan, "value": view.plan_id},
        "display": str(view.parent.get("name", "Parent")),
    }
    responses = [_questionnaire_response(view, s, patient, systems) for s in view.sections]
    visits = [(v, _appointment(view, v, patient)) for s in view.sections for v in visits_of(s)]
    needs = [n for s in view.sections for n in needs_of(s)]
    care_plan = _care_plan(view, patient, systems, needs, responses, [a for _, a in visits])
    consents = [_consent(view, r, patient, systems) for r in view.consents]
    resources = [*responses, care_plan, *consents, *(a for _, a in visits)]
    stamp = (now or datetime.now(UTC)).isoformat()
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "id": _id(view.plan_id, "bundle", stamp),
            "type": _code("Bundle.type", "collection"),
            "timestamp": stamp,
            "entry": [_entry(r) for r in resources],
        }
    )


def _questionnaire_response(
    view: PlanView, visible: VisibleSection, patient: dict[str, Any], systems: Systems
) -> dict[str, Any]:
    snapshot, flow = visible.snapshot, visible.flow
    name = str(view.parent.get("name", ""))
    items = []
    # Answers the reader may not see are absent, not redacted.
    for step, value in shown_answers(visible):
        item: dict[str, Any] = {
            "linkId": step.id,
            "text": question_text(step, view.names, name),
        }
        answers = _answers(step, value, systems.choice(flow.id, step.id))
        if answers:
            item["answer"] = answers
        items.append(item)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": _id(view.plan_id, "section", flow.id, snapshot.version),
        "identifier": {
            "system": f"{systems.base}/sid/section-version",
            "value": f"{view.plan_id}/{flow.id}/{snapshot.version}",
        },
        "questionnaire": systems.questionnaire(flow.id),
        "status": _code(
            "QuestionnaireResponse.status", "amended" if visible.changing else "completed"
        ),
        "subject": patient,
        "authored": snapshot.completed_at,
        "item": items,
    }
    if flow.sensitive:
        # Part 2 material: labelled so a receiving system applies its own restrictions.
        resource["meta"] = {
            "security": [
                {"system": V3_ACT_CODE, "code": "42CFRPart2"},
                {"system": V3_CONFIDENTIALITY, "code": "R"},
            ]
        }
    return resource


def _answers(step: Step, value: Any, choice_system: str) -> list[dict[str, Any]]:
    kind = step.type
    if value is None:
        return []  # skipped: the item stays, with no answer
    if kind == "yes_no":
        return [{"valueBoolean": bool(value)}]
    if kind in ("choice", "multi"):
        picked = value if isinstance(value, list) else [value]
        return [
            {
                "valueCoding": {
                    "system": choice_system,
                    "code": str(v),
                    "display": choice_label(step, str(v)),
                }
            }
            for v in picked
        ]
    if kind == "date":
        return [{"valueDate": str(value)}]
    if kind == "time":
        return [{"valueTime": str(value)}]
    if kind == "number":
        return [{"valueInteger": int(value)}]
    return [{"valueString": str(value)}]


# Need status -> CarePlan.activity.detail.status.
_ACTIVITY_STATUS = {
    "need": "not-started",
    "referred": "scheduled",
    "connected": "completed",
    "have": "completed",
    "declined": "cancelled",
}


def _care_plan(
    view: PlanView,
    patient: dict[str, Any],
    systems: Systems,
    needs: Iterable[Need],
    responses: list[dict[str, Any]],
    appointments: list[dict[str, Any]],
) -> dict[str, Any]:
    activities: list[dict[str, Any]] = []
    for need in needs:
        label = NEED_LABELS.get(need.code, need.code.replace("_", " ").capitalize())
        activities.append(
            {
                "detail": {
                    # A need the parent named; its status is the team's referral work.
                    "kind": _code("CarePlan.activity.detail.kind", "ServiceRequest"),
                    "code": {
                        "coding": [{"system": systems.need, "code": need.code, "display": label}],
                        "text": label,
                    },
                    "status": _code(
                        "CarePlan.activity.detail.status",
                        _ACTIVITY_STATUS[str(view.need_record(need)["status"])],
                    ),
                    "description": f"The parent said: {need.answer}",
                }
            }
        )
    activities += [{"reference": {"reference": f"urn:uuid:{a['id']}"}} for a in appointments]
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": _id(view.plan_id, "careplan"),
        "status": _code("CarePlan.status", "active"),
        "intent": _code("CarePlan.intent", "plan"),
        "title": view.names.plan,
        "subject": patient,
        "supportingInfo": [{"reference": f"urn:uuid:{r['id']}"} for r in responses],
    }
    if activities:
        plan["activity"] = activities
    return plan


def _appointment(view: PlanView, visit: KnownVisit, patient: dict[str, Any]) -> dict[str, Any]:
    # The parent gave a day, not a time. R4 lets only proposed (or cancelled) appointments go
    # without start and end (invariant app-3), so the day goes in requestedPeriod.
    day = visit.day.isoformat()
    return {
        "resourceType": "Appointment",
        "id": _id(view.plan_id, "visit", visit.section, visit.step, day),
        "status": _code("Appointment.status", "proposed"),
        "description": visit.label,
        "requestedPeriod": [{"start": day, "end": day}],
        "participant": [
            {"actor": patient, "status": _code("Appointment.participant.status", "accepted")}
        ],
    }


def _consent(
    view: PlanView, record: ConsentRecord, patient: dict[str, Any], systems: Systems
) -> dict[str, Any]:
    role = ROLE_LABELS.get(record.role, record.role)
    actors = [
        {
            "role": {"coding": [{"system": V3_PARTICIPATION, "code": "IRCP"}]},
            "reference": {"display": f"{role} at {view.organization_names.get(org, org)}"},
        }
        for org in record.organizations
    ]
    provision: dict[str, Any] = {
        "type": _code("Consent.provision.type", "permit"),
        "period": {"start": record.given_at.isoformat(), "end": record.expires_on.isoformat()},
        "actor": actors,
        "action": [{"coding": [{"system": CONSENT_ACTION, "code": _code(_ACTION, "disclose")}]}],
        "purpose": [{"system": V3_ACT_REASON, "code": "CAREMGT"}],
        "code": [
            {
                "coding": [
                    {"system": systems.section, "code": record.section},
                    {"system": systems.role, "code": record.role},
                ]
            }
        ],
    }
    consent: dict[str, Any] = {
        "resourceType": "Consent",
        "id": _id(view.plan_id, "consent", record.section, record.role, record.given_at),
        "status": _code("Consent.status", "active" if record.revoked_at is None else "inactive"),
        "scope": {
            "coding": [{"system": CONSENT_SCOPE, "code": _code("Consent.scope", "patient-privacy")}]
        },
        "category": [
            {"coding": [{"system": LOINC, "code": "59284-0"}]},
            {"coding": [{"system": V3_ACT_CODE, "code": "IDSCL"}]},
        ],
        "patient": patient,
        "dateTime": record.given_at.isoformat(),
        "organization": [{"display": view.intermediary}],
        "policyRule": {"coding": [{"system": V3_ACT_CODE, "code": "OPTIN"}]},
        "provision": provision,
    }
    if record.part2:
        consent["policy"] = [{"uri": PART2_POLICY}]
        provision["securityLabel"] = [{"system": V3_ACT_CODE, "code": "42CFRPart2"}]
    return consent
