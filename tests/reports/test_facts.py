"""One plan's facts: when a window is met, missed, open or unknown; what stands in for what."""

from __future__ import annotations

from datetime import date, timedelta

from bot.engine.loader import FlowSet, load_flows
from bot.flows import FLOWS_DIR
from bot.reports.facts import PLAN_SECTIONS, Visit, facts_of
from tests.reports.synthetic import Spec, session_of

BIRTH = date(2024, 3, 1)


def spec(**changes: object) -> Spec:
    base = Spec(1, "Ana", "+18605550100", "06103", date(2024, 1, 10), "pregnant")
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def test_the_plan_sections_are_the_flows_sections() -> None:
    flows: FlowSet = load_flows(FLOWS_DIR)
    assert tuple(f.id for f in flows.sections) == PLAN_SECTIONS


def test_started_follows_the_birth_date_else_what_the_parent_said() -> None:
    as_of = date(2025, 1, 1)
    before = facts_of(session_of(spec(birth=BIRTH)), as_of=as_of)
    after = facts_of(session_of(spec(stage="born", birth=date(2024, 1, 2))), as_of=as_of)
    no_birth = facts_of(session_of(spec(due=date(2024, 5, 1))), as_of=as_of)
    assert (before.started, after.started, no_birth.started) == (
        "prenatally",
        "after_birth",
        "prenatally",
    )


def test_36_weeks_is_28_days_before_the_due_date_and_counted_once_reached() -> None:
    due = date(2024, 6, 1)
    done = {"basic_needs": due - timedelta(days=28), "health": due - timedelta(days=27)}
    plan = session_of(spec(due=due, done=done))
    assert facts_of(plan, as_of=due).by_36_weeks == 1
    assert facts_of(plan, as_of=due - timedelta(days=29)).by_36_weeks is None
    assert facts_of(session_of(spec()), as_of=due).by_36_weeks is None  # no due date


def test_the_birth_date_stands_in_for_discharge() -> None:
    done = {"birth": BIRTH, "baby": BIRTH + timedelta(days=1)}
    facts = facts_of(session_of(spec(birth=BIRTH, done=done)), as_of=date(2025, 1, 1))
    assert facts.by_discharge == 1
    assert facts_of(session_of(spec(done=done)), as_of=date(2025, 1, 1)).by_discharge is None


def test_postpartum_contact_windows() -> None:
    """Met by a confirmed visit within 21 days, or the plan's "I had one" within them; open
    until the 21 days are over; unknown without a birth date."""
    born = spec(stage="born", birth=BIRTH)
    visit = Visit("postpartum_visit", BIRTH + timedelta(days=21), confirmed=True)
    late = Visit("postpartum_visit", BIRTH + timedelta(days=22), confirmed=True)
    unconfirmed = Visit("postpartum_visit", BIRTH + timedelta(days=5), confirmed=False)
    later = date(2024, 6, 1)
    assert facts_of(session_of(born), as_of=later, visits=[visit]).postpartum_contact == "met"
    assert facts_of(session_of(born), as_of=later, visits=[late]).postpartum_contact == "missed"
    assert (
        facts_of(session_of(born), as_of=later, visits=[unconfirmed]).postpartum_contact == "missed"
    )
    soon = BIRTH + timedelta(days=10)
    assert facts_of(session_of(born), as_of=soon).postpartum_contact == "open"
    assert facts_of(session_of(spec()), as_of=later).postpartum_contact == "unknown"
    said_so = spec(
        stage="born", birth=BIRTH, had_visit=True, done={"health": BIRTH + timedelta(days=20)}
    )
    assert facts_of(session_of(said_so), as_of=later).postpartum_contact == "met"


def test_first_pediatric_visit_within_three_days() -> None:
    on_plan = spec(birth=BIRTH, first_checkup=BIRTH + timedelta(days=3))
    too_late = spec(birth=BIRTH, first_checkup=BIRTH + timedelta(days=4))
    later = date(2024, 6, 1)
    assert facts_of(session_of(on_plan), as_of=later).pediatric_visit == "met"
    assert facts_of(session_of(too_late), as_of=later).pediatric_visit == "missed"
    checkup = Visit("baby_checkup", BIRTH + timedelta(days=2), confirmed=True)
    seen = facts_of(session_of(spec(birth=BIRTH)), as_of=later, visits=[checkup])
    assert seen.pediatric_visit == "met"


def test_days_are_the_parents_own() -> None:
    """11:30 pm in Hartford on the due date's 36-week mark is still that day there (the next
    day in UTC)."""
    due = date(2024, 6, 1)
    session = session_of(spec(due=due))
    session.plan.completed_at["health"] = "2024-05-05T03:30:00+00:00"  # May 4, 11:30 pm EDT
    assert facts_of(session, as_of=due).by_36_weeks == 1


def test_facts_hold_no_name_phone_zip_or_birth_date() -> None:
    s = spec(birth=BIRTH, due=date(2024, 3, 5), needs={"housing": "need"})
    facts = facts_of(session_of(s), as_of=date(2025, 1, 1))
    text = repr(facts)
    for secret in (s.name, s.phone, s.zip_code, BIRTH.isoformat(), "2024, 3, 1", "2024, 3, 5"):
        assert secret not in text


def test_a_plan_without_a_zone_counts_days_in_the_programs_zone_not_utc() -> None:
    # 03:00 UTC on Jan 11 is the evening of Jan 10 in Denver, the program's zone here.
    session = session_of(spec(birth=BIRTH, done={"health": date(2024, 1, 10)}))
    session.timezone = None
    session.plan.enrolled_at = "2024-01-11T03:00:00+00:00"
    session.plan.completed_at["health"] = "2024-03-02T03:00:00+00:00"
    facts = facts_of(session, as_of=date(2024, 6, 1), default_timezone="America/Denver")
    assert facts.enrolled_on == date(2024, 1, 10)
    assert facts.by_discharge == 1  # done on the evening of Mar 1, the birth date, in Denver
