"""Synthetic plans for the report tests: what each plan is (a Spec), the Session that holds it,
and the counts worked out from the Specs alone, apart from bot/reports."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.engine.session import NEED_STATUSES, Plan, Session
from bot.reports.facts import PLAN_SECTIONS

SECTIONS = PLAN_SECTIONS
# need kind -> (section, step) whose answer shows it in the shipped flows
NEED_SOURCES = {
    "housing": ("basic_needs", "housing_now"),
    "food": ("basic_needs", "enough_food"),
    "transportation": ("birth", "ride_home"),
    "treatment": ("recovery", "in_treatment"),
    "safety": ("safety", "feel_safe"),
}
FROM, TO = date(2024, 1, 1), date(2024, 6, 30)
ZONE = "America/New_York"


@dataclass
class Spec:
    """One synthetic parent, in plain terms."""

    number: int
    name: str
    phone: str
    zip_code: str
    enrolled_on: date | None
    stage: str
    due: date | None = None
    birth: date | None = None
    done: dict[str, date] = field(default_factory=dict)
    needs: dict[str, str] = field(default_factory=dict)
    opted_out: bool = False
    had_visit: bool = False
    first_checkup: date | None = None


def specs(count: int = 200, seed: int = 8) -> list[Spec]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.05:
            enrolled: date | None = None
        elif roll < 0.10:
            enrolled = FROM - timedelta(days=rng.randint(1, 90))
        elif roll < 0.15:
            enrolled = TO + timedelta(days=rng.randint(1, 90))
        else:
            enrolled = FROM + timedelta(days=rng.randint(0, (TO - FROM).days))
        anchor = enrolled or FROM
        spec = Spec(
            n,
            f"Parent{n:03d}Q",
            f"+1860{5550000 + n:07d}",
            f"06{n % 1000:03d}",
            enrolled,
            "pregnant" if rng.random() < 0.6 else "born",
        )
        if spec.stage == "pregnant":
            spec.due = anchor + timedelta(days=rng.randint(20, 200))
            if rng.random() < 0.5:
                spec.birth = spec.due + timedelta(days=rng.randint(-14, 7))
        else:
            spec.birth = anchor - timedelta(days=rng.randint(0, 120))
        for section in SECTIONS:
            if rng.random() < 0.7:
                spec.done[section] = anchor + timedelta(days=rng.randint(0, 150))
        for kind in rng.sample(sorted(NEED_SOURCES), rng.randint(0, 3)):
            spec.needs[kind] = rng.choice(NEED_STATUSES)
        spec.opted_out = rng.random() < 0.1
        if spec.stage == "born" and "health" in spec.done:
            spec.had_visit = rng.random() < 0.6
        if spec.birth is not None and rng.random() < 0.5:
            spec.first_checkup = spec.birth + timedelta(days=rng.randint(0, 6))
        made.append(spec)
    return made


def _stamp(day: date) -> str:
    """Noon in Hartford, written in UTC as the engine writes times."""
    return datetime.combine(day, time(16, 0), UTC).isoformat()


def session_of(spec: Spec) -> Session:
    onboarding: dict[str, Any] = {
        "consent": True,
        "name": spec.name,
        "stage": spec.stage,
        "zip": spec.zip_code,
    }
    if spec.due:
        onboarding["due_date"] = spec.due.isoformat()
    if spec.birth and spec.stage == "born":
        onboarding["birth_date"] = spec.birth.isoformat()
    elif spec.birth:
        onboarding["birth_date"] = spec.birth.isoformat()  # the baby came since
    answers: dict[str, dict[str, Any]] = {"onboarding": onboarding}
    if spec.had_visit:
        answers["health"] = {"postpartum_visit": "had_visit"}
    if spec.first_checkup:
        answers["baby"] = {"first_checkup": spec.first_checkup.isoformat()}
    needs = {
        kind: {
            "kind": kind,
            "status": status,
            "source": list(NEED_SOURCES[kind]),
            "owner": None,
            "referred_on": None,
            "notes": f"called {spec.name} at {spec.phone}",
            "version": 1,
            "history": [],
        }
        for kind, status in spec.needs.items()
    }
    plan = Plan(
        answers=answers,
        completed_at={s: _stamp(d) for s, d in spec.done.items()},
        versions={s: 1 for s in spec.done},
        needs=needs,
        enrolled_at=_stamp(spec.enrolled_on) if spec.enrolled_on else None,
    )
    status = "opted_out" if spec.opted_out else ("active" if spec.enrolled_on else "declined")
    return Session(locale="en", timezone=ZONE, status=status, plan=plan)


def expected(all_specs: list[Spec], from_: date = FROM, to: date = TO) -> dict[str, int]:
    """The counts, worked out the long way from what each Spec says."""
    cohort = [s for s in all_specs if s.enrolled_on is not None and from_ <= s.enrolled_on <= to]
    counts: Counter[str] = Counter()
    counts["enrolled"] = len(cohort)
    for s in cohort:
        assert s.enrolled_on is not None
        if s.birth is not None:
            counts["started.prenatally" if s.enrolled_on < s.birth else "started.after_birth"] += 1
        else:
            counts["started.prenatally" if s.stage == "pregnant" else "started.after_birth"] += 1
        if s.done:
            counts["plans.with_a_section_done"] += 1
        if len(s.done) == len(SECTIONS):
            counts["plans.with_every_section_done"] += 1
        statuses = set(s.needs.values())
        counts["plans.with_a_need"] += bool(s.needs)
        counts["plans.referred"] += bool(statuses & {"referred", "connected"})
        counts["plans.connected"] += "connected" in statuses
        for name, deadline in (
            ("sections_by_36_weeks", s.due - timedelta(weeks=4) if s.due else None),
            ("sections_by_discharge", s.birth),
        ):
            if deadline is None:
                continue
            by_then = [d for d in s.done.values() if d <= deadline]
            counts[f"{name}.plans"] += 1
            counts[f"{name}.any"] += bool(by_then)
            counts[f"{name}.all"] += len(by_then) == len(SECTIONS)
        for kind, status in s.needs.items():
            counts[f"needs.{kind}.{status}"] += 1
            counts["referrals.made"] += status in ("referred", "connected")
            counts["referrals.connected"] += status == "connected"
        if s.birth is not None:  # every 2024 birth's windows are long closed
            counts["postpartum_contact_by_3_weeks.plans"] += 1
            counts["pediatric_visit_by_72_hours.plans"] += 1
            seen = s.done.get("health")
            if s.had_visit and seen and s.birth <= seen <= s.birth + timedelta(days=21):
                counts["postpartum_contact_by_3_weeks.met"] += 1
            first = s.first_checkup
            if first and s.birth <= first <= s.birth + timedelta(days=3):
                counts["pediatric_visit_by_72_hours.met"] += 1
        counts["opted_out"] += s.opted_out
    return dict(counts)
