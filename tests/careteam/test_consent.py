"""Consent records from care_team answers: denied by default, Part 2 rules, revocation, expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.careteam.consent import (
    CONSENT_FLOW,
    CONSENT_STEPS,
    NOTHING,
    PART2_SECTION,
    PRIVATE_YES_STEP,
    RECOVERY_YES_STEPS,
    SHARE_STEPS,
    ConsentState,
    derive,
    expiry_for,
    narrow,
    resume,
    withhold,
)
from bot.careteam.directory import CONSENT_ROLES, Directory
from bot.careteam.directory import new_webhook_secret as secret
from bot.careteam.recipients import consented_recipients, on_call_endpoints, permits_for
from bot.engine.loader import FlowSet
from bot.engine.sharing import part2_yeses

AT = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)
BABY = date(2026, 3, 14)
ALL_YES = {s: True for s in RECOVERY_YES_STEPS}


def state_from(
    answers: dict[str, Any],
    previous: ConsentState = NOTHING,
    zone: tzinfo = UTC,
    at: datetime = AT,
    baby: date | None = BABY,
) -> ConsentState:
    return derive(
        answers,
        previous=previous,
        at=at,
        source="1-0",
        organizations=["hope"],
        baby_date=baby,
        text_version="care_team@test",
        zone=zone,
    )


def granted(state: ConsentState, now: datetime = AT) -> set[tuple[str, str]]:
    return {(r.section, r.role) for r in state.active_records(now)}


def directory() -> Directory:
    def endpoint(ident: str, org: str, roles: list[str]) -> dict[str, Any]:
        url = f"https://{ident}.example/hook"
        return {
            "id": ident,
            "organization": org,
            "url": url,
            "secret": secret(),
            "serves": {"roles": roles},
        }

    return Directory.model_validate(
        {
            "version": 1,
            "program": {"intermediary": "Safe Start", "crisis_fallback": "hope"},
            "organizations": [
                {"id": "hope", "name": "Hope", "service_area": {"zip_prefixes": ["06"]}},
                {"id": "laramie", "name": "Laramie", "service_area": {"states": ["WY"]}},
            ],
            "members": [
                {"id": "rosa", "name": "Rosa", "organization": "hope", "roles": ["social_worker"]},
                {"id": "lee", "name": "Lee", "organization": "laramie", "roles": ["social_worker"]},
            ],
            "endpoints": [
                endpoint("hope_ehr", "hope", ["social_worker", "medical"]),
                endpoint("hope_pager", "hope", ["on_call"]),
                endpoint("laramie_ehr", "laramie", ["social_worker", "on_call"]),
            ],
        }
    )


def test_the_rules_match_the_shipped_care_team_flow(flows: FlowSet) -> None:
    """Every consent step of care_team.yaml is read here, every section has its share
    question, and the roles offered are exactly the directory's consent roles."""
    care_team = flows[CONSENT_FLOW]
    flow_consent_steps = {s.id for s in care_team.steps if s.consent}
    assert flow_consent_steps <= CONSENT_STEPS
    assert {s.id for s in care_team.steps} >= CONSENT_STEPS
    sections = {f.id for f in flows.sections if f.id != CONSENT_FLOW}
    assert sections == set(SHARE_STEPS)
    for step_id in SHARE_STEPS.values():
        step = care_team.step(step_id)
        offered = tuple(c.value for c in step.choices if not c.exclusive)
        assert offered == CONSENT_ROLES
        assert [c.value for c in step.choices if c.exclusive] == ["no_one"]


def test_the_engine_lists_a_part_as_shared_by_the_same_part2_yeses(flows: FlowSet) -> None:
    """SHARING (the engine, which cannot import this package) reads from the flow which
    yeses a share step needs: for every share step they are exactly the ones decided here,
    the recovery part's three and none for the others."""
    care_team = flows[CONSENT_FLOW]
    for section, step_id in SHARE_STEPS.items():
        needed = part2_yeses(care_team, care_team.step(step_id))
        assert needed == (RECOVERY_YES_STEPS if section == PART2_SECTION else ())


def test_nothing_is_shared_by_default() -> None:
    """No answers, skipped answers and "no one" all give no permission at all."""
    assert granted(NOTHING) == set()
    assert granted(state_from({})) == set()
    skipped = dict.fromkeys(SHARE_STEPS.values())
    assert granted(state_from(skipped)) == set()
    assert granted(state_from({"share_health": ["no_one"]})) == set()
    for section in SHARE_STEPS:
        assert consented_recipients(section, NOTHING, directory(), AT).endpoints == ()


def test_a_section_goes_to_the_roles_picked_for_it_only() -> None:
    state = state_from({"share_health": ["social_worker", "medical"], "share_baby": ["medical"]})
    assert granted(state) == {
        ("health", "social_worker"),
        ("health", "medical"),
        ("baby", "medical"),
    }
    record = state.records[0]
    assert (record.purpose, record.given_at, record.organizations) == (
        "care_coordination",
        AT,
        ("hope",),
    )
    assert state.text_version == "care_team@test"


@pytest.mark.parametrize("missing", [*RECOVERY_YES_STEPS, "share_recovery"])
def test_recovery_needs_every_one_of_its_own_yeses(missing: str) -> None:
    """share_recovery_ok, recovery_terms and recovery_consent must each be an explicit yes."""
    answers: dict[str, Any] = {**ALL_YES, "share_recovery": ["treatment"]}
    assert granted(state_from(answers)) == {("recovery", "treatment")}
    assert state_from(answers).records[0].part2
    answers[missing] = None if missing == "share_recovery" else False
    assert granted(state_from(answers)) == set()


def test_private_safety_answers_need_their_own_yes() -> None:
    without = state_from({"share_safety": ["social_worker"]})
    with_yes = state_from({"share_safety": ["social_worker"], PRIVATE_YES_STEP: True})
    assert not without.records[0].includes_private
    assert with_yes.records[0].includes_private


def test_consent_lasts_until_a_year_after_the_baby() -> None:
    assert expiry_for(BABY, AT.date()) == date(2027, 3, 14)
    assert expiry_for(date(2028, 2, 29), AT.date()) == date(2029, 2, 28)
    assert expiry_for(None, AT.date()) == date(2027, 1, 10)
    state = state_from({"share_health": ["medical"]})
    assert granted(state, datetime(2027, 3, 14, 23, 0, tzinfo=UTC)) == {("health", "medical")}
    assert granted(state, datetime(2027, 3, 15, 1, 0, tzinfo=UTC)) == set()


DENVER = ZoneInfo("America/Denver")


def test_consent_lasts_through_the_parents_own_last_day() -> None:
    """ "Until your baby turns 1" is the parent's calendar: at 03:00 UTC on the birthday it is
    still the evening before in Denver, and at 03:00 UTC the day after, still the birthday.
    (Judged on the UTC day, the consent ended at 17:00 on the parent's last day.)"""
    state = state_from({"share_health": ["medical"]}, zone=DENVER)
    assert state.records[0].expires_on == date(2027, 3, 14)
    assert granted(state, datetime(2027, 3, 15, 3, 0, tzinfo=UTC)) == {("health", "medical")}
    assert granted(state, datetime(2027, 3, 15, 5, 59, tzinfo=UTC)) == {("health", "medical")}
    assert granted(state, datetime(2027, 3, 15, 6, 0, tzinfo=UTC)) == set()  # midnight, MDT
    again = ConsentState.from_json(state.to_json())
    assert granted(again, datetime(2027, 3, 15, 5, 59, tzinfo=UTC)) == {("health", "medical")}
    assert granted(again, datetime(2027, 3, 15, 6, 0, tzinfo=UTC)) == set()


def test_a_yes_without_a_baby_date_counts_from_the_parents_day() -> None:
    """A yes at 02:00 UTC on January 11 is given on January 10 in Denver: it lasts through
    January 10 of next year there."""
    at = datetime(2026, 1, 11, 2, 0, tzinfo=UTC)
    state = state_from({"share_health": ["medical"]}, zone=DENVER, at=at, baby=None)
    assert state.records[0].expires_on == date(2027, 1, 10)
    assert granted(state, datetime(2027, 1, 11, 6, 59, tzinfo=UTC)) == {("health", "medical")}
    assert granted(state, datetime(2027, 1, 11, 7, 0, tzinfo=UTC)) == set()


def test_records_kept_before_the_end_instant_still_end_on_the_utc_day() -> None:
    state = state_from({"share_health": ["medical"]}, zone=DENVER).to_json()
    for record in state["records"]:
        del record["ends_at"]
    older = ConsentState.from_json(state)
    assert granted(older, datetime(2027, 3, 14, 23, 0, tzinfo=UTC)) == {("health", "medical")}
    assert granted(older, datetime(2027, 3, 15, 1, 0, tzinfo=UTC)) == set()


def test_stop_sharing_narrows_at_once_and_keeps_the_record_of_the_stop() -> None:
    """A revoking answer makes a new version at once; the old permits stay, marked revoked."""
    first = state_from({"share_health": ["social_worker", "medical"], **ALL_YES,
                        "share_recovery": ["treatment"]})  # fmt: skip
    later = AT + timedelta(days=2)
    second = narrow(first, "share_health", ["medical"], at=later, source="2-0")
    assert second is not None
    assert (second.version, second.cause) == (2, "revoked")
    assert granted(second, later) == {("health", "medical"), ("recovery", "treatment")}
    revoked = [r for r in second.records if r.revoked_at is not None]
    assert [(r.section, r.role, r.revoked_at) for r in revoked] == [
        ("health", "social_worker", later)
    ]
    third = narrow(second, "share_recovery_ok", False, at=later, source="3-0")
    assert third is not None
    assert granted(third, later) == {("health", "medical")}
    assert first.version == 1  # earlier versions are left as they were


def test_a_change_that_would_widen_sharing_waits_for_the_confirmed_section() -> None:
    first = state_from({"share_health": ["medical"]})
    assert narrow(first, "share_health", ["medical", "treatment"], at=AT, source="2-0") is None
    assert narrow(first, "share_basic_needs", ["medical"], at=AT, source="2-0") is None
    assert narrow(first, "contact_name", "Rosa", at=AT, source="2-0") is None


def test_a_role_of_another_organization_gets_nothing() -> None:
    """Consent names the organizations serving the parent; Laramie's social worker is not one."""
    state = state_from({"share_health": ["social_worker"]})
    recipients = consented_recipients("health", state, directory(), AT)
    assert [e.id for e in recipients.endpoints] == ["hope_ehr"]
    assert [m.id for m in recipients.members] == ["rosa"]


def test_crisis_goes_to_the_on_call_role_with_a_fallback_before_the_zip_code() -> None:
    d = directory()
    assert [e.id for e in on_call_endpoints(d, ["laramie"])] == ["laramie_ehr"]
    assert [e.id for e in on_call_endpoints(d, ["hope"])] == ["hope_pager"]
    assert [e.id for e in on_call_endpoints(d, [])] == ["hope_pager"]


def test_a_consent_version_survives_json() -> None:
    state = state_from({"share_health": ["medical"], **ALL_YES, "share_recovery": ["treatment"]})
    assert ConsentState.from_json(state.to_json()) == state


def test_one_part_stopped_for_one_organization_stays_stopped_for_it_only() -> None:
    """Health withheld from Laramie: Hope keeps it, Laramie keeps Basic needs; the stop is a
    revoked permission in the version, survives JSON, and a later confirmed consent (derive)
    does not give the part back to Laramie."""
    orgs = ["hope", "laramie"]
    answers = {"share_health": ["social_worker"], "share_basic_needs": ["social_worker"]}
    first = derive(answers, previous=NOTHING, at=AT, source="1-0", organizations=orgs,
                   baby_date=BABY, text_version="care_team@test", zone=UTC)  # fmt: skip
    later = AT + timedelta(days=1)
    second = withhold(first, "health", "laramie", at=later, source="2-0")
    assert second is not None
    assert (second.version, second.cause) == (2, "revoked")

    def sees(state: ConsentState, section: str, org: str) -> bool:
        return bool(permits_for(section, state, ["social_worker"], org, later))

    assert not sees(second, "health", "laramie")
    assert sees(second, "health", "hope")
    assert sees(second, "basic_needs", "laramie")
    revoked = [(r.section, r.organizations) for r in second.records if r.revoked_at]
    assert revoked == [("health", ("laramie",))]
    assert ConsentState.from_json(second.to_json()) == second
    assert withhold(second, "health", "laramie", at=later, source="3-0") is None
    third = derive(answers, previous=second, at=later, source="3-0", organizations=orgs,
                   baby_date=BABY, text_version="care_team@test", zone=UTC)  # fmt: skip
    assert not sees(third, "health", "laramie")
    assert sees(third, "health", "hope")


def test_a_stopped_part_shared_again_is_a_new_yes_for_that_organization_only() -> None:
    """Health stopped for Laramie, then shared with it again: Laramie sees it from the new
    yes on (given then, lasting a year after the baby), Hope's permission is untouched, the
    stop stays in the version as its record, and a later confirmed consent keeps Laramie in.
    Recovery given back needs every one of its own yeses still in the answers."""
    orgs = ["hope", "laramie"]
    answers = {"share_health": ["social_worker"], "share_recovery": ["treatment"], **ALL_YES}
    first = derive(answers, previous=NOTHING, at=AT, source="1-0", organizations=orgs,
                   baby_date=BABY, text_version="care_team@test", zone=UTC)  # fmt: skip
    stop_at, again_at = AT + timedelta(days=1), AT + timedelta(days=2)
    stopped = withhold(first, "health", "laramie", at=stop_at, source="2-0")
    assert stopped is not None
    assert resume(stopped, "health", "hope", at=again_at, source="3-0", baby_date=BABY,
                  zone=UTC) is None  # fmt: skip
    again = resume(stopped, "health", "laramie", at=again_at, source="3-0", baby_date=BABY,
                   zone=UTC)  # fmt: skip
    assert again is not None
    assert (again.version, again.source, again.withheld) == (3, "3-0", {})

    def sees(state: ConsentState, section: str, org: str, role: str = "social_worker") -> bool:
        return bool(permits_for(section, state, [role], org, again_at))

    assert not sees(stopped, "health", "laramie")
    assert sees(again, "health", "laramie")
    assert sees(again, "health", "hope")
    (given,) = [r for r in again.records if r.organizations == ("laramie",) and not r.revoked_at]
    assert (given.section, given.role, given.given_at) == ("health", "social_worker", again_at)
    assert given.expires_on == expiry_for(BABY, again_at.date())
    assert [r.organizations for r in again.records if r.revoked_at] == [("laramie",)]
    assert ConsentState.from_json(again.to_json()) == again
    assert resume(again, "health", "laramie", at=again_at, source="4-0", baby_date=BABY,
                  zone=UTC) is None  # fmt: skip
    later = derive(answers, previous=again, at=again_at, source="4-0", organizations=orgs,
                   baby_date=BABY, text_version="care_team@test", zone=UTC)  # fmt: skip
    assert sees(later, "health", "laramie")

    recovery_out = withhold(first, "recovery", "laramie", at=stop_at, source="2-0")
    assert recovery_out is not None
    back = resume(recovery_out, "recovery", "laramie", at=again_at, source="3-0",
                  baby_date=BABY, zone=UTC)  # fmt: skip
    assert back is not None
    assert sees(back, "recovery", "laramie", "treatment")
    assert all(r.part2 for r in back.records if r.section == "recovery")
    no_terms = narrow(recovery_out, "recovery_terms", False, at=stop_at, source="2-1")
    assert no_terms is not None
    not_back = resume(no_terms, "recovery", "laramie", at=again_at, source="3-0",
                      baby_date=BABY, zone=UTC)  # fmt: skip
    assert not_back is not None
    assert not not_back.withheld
    assert not sees(not_back, "recovery", "laramie", "treatment")
