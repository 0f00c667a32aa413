"""The program report: counts over the plans enrolled in a period, as named cells. Pure.

Every count is over the same cohort, the parents who enrolled (said yes to texts) between
`from_` and `to`, both days included, as they stand on the day the report is made: "opted
out" is how many of them have texted STOP since, not how many STOPs came in the period.

Cells (dotted names; the JSON nests them, the CSV lists them):

    enrolled
    started.prenatally | after_birth | unknown
    plans.with_a_section_done | with_every_section_done | with_a_need | referred | connected
    sections_by_36_weeks.plans | any | all      plans measurable, with >= 1 section, with all
    sections_by_discharge.plans | any | all
    needs.<kind>.<have|need|referred|connected|declined>   plans with that need in that status
    referrals.made | connected      needs referred or connected / connected (every kind)
    postpartum_contact_by_3_weeks.plans | met   plans whose 3 weeks are over or met / met
    pediatric_visit_by_72_hours.plans | met
    opted_out

"plans.referred" counts plans with at least one need referred or connected; "connected",
plans with at least one connected. Groups name the sums the suppression must respect.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from bot.engine.session import NEED_STATUSES
from bot.reports.facts import STARTED, PlanFacts, Window
from bot.reports.suppress import Group, Reason, suppress

REFERRED = frozenset({"referred", "connected"})
# The funnel the report page draws: (cell, label).
FUNNEL: tuple[tuple[str, str], ...] = (
    ("enrolled", "Enrolled"),
    ("plans.with_a_section_done", "Finished a part of the plan"),
    ("plans.with_a_need", "Needs found"),
    ("plans.referred", "Referred"),
    ("plans.connected", "Connected"),
)


@dataclass(frozen=True, slots=True)
class ProgramReport:
    """The raw counts of one period, with the sums they make; publish() withholds."""

    from_: date
    to: date
    cells: dict[str, int] = field(default_factory=dict)
    groups: tuple[Group, ...] = ()

    def publish(self) -> Published:
        withheld = suppress(self.cells, self.groups)
        shown = {name: None if name in withheld else count for name, count in self.cells.items()}
        return Published(self.from_, self.to, shown, withheld)


@dataclass(frozen=True, slots=True)
class Published:
    """What may leave the program: each cell a count, or None when withheld (with why)."""

    from_: date
    to: date
    cells: dict[str, int | None]
    withheld: dict[str, Reason]


class _Cells:
    """Builds the ordered cells and the sums between them."""

    def __init__(self) -> None:
        self.cells: dict[str, int] = {}
        self.groups: list[Group] = []

    def add(self, name: str, count: int) -> str:
        self.cells[name] = count
        return name

    def parts(self, total: str, parts: Iterable[str], unpublished: int = 0) -> None:
        """`total` is the sum of `parts` plus a count that is never published."""
        self.groups.append(Group(total, tuple(parts), (unpublished,) if unpublished else ()))

    def subset(self, whole: str, part: str) -> None:
        """`part` counts some of `whole`: the rest (whole - part) is an unpublished count."""
        self.parts(whole, [part], self.cells[whole] - self.cells[part])


def program_report(facts: Iterable[PlanFacts], from_: date, to: date) -> ProgramReport:
    """Count the plans enrolled from `from_` to `to` (both included); see the module docstring."""
    cohort = [f for f in facts if f.enrolled_on is not None and from_ <= f.enrolled_on <= to]
    c = _Cells()
    enrolled = c.add("enrolled", len(cohort))
    started = Counter(f.started for f in cohort)
    c.parts(enrolled, [c.add(f"started.{s}", started[s]) for s in STARTED])

    done = c.add("plans.with_a_section_done", sum(1 for f in cohort if f.sections_done))
    every = sum(1 for f in cohort if f.sections_total and f.sections_done >= f.sections_total)
    c.subset(enrolled, done)
    c.subset(done, c.add("plans.with_every_section_done", every))
    with_need = c.add("plans.with_a_need", sum(1 for f in cohort if f.needs))
    referred = c.add("plans.referred", sum(1 for f in cohort if _statuses(f) & REFERRED))
    connected = c.add("plans.connected", sum(1 for f in cohort if "connected" in _statuses(f)))
    c.subset(enrolled, with_need)
    c.subset(with_need, referred)
    c.subset(referred, connected)

    for name, counts in (
        ("sections_by_36_weeks", [(f.by_36_weeks, f.sections_total) for f in cohort]),
        ("sections_by_discharge", [(f.by_discharge, f.sections_total) for f in cohort]),
    ):
        measured = [(n, total) for n, total in counts if n is not None]
        plans = c.add(f"{name}.plans", len(measured))
        some = c.add(f"{name}.any", sum(1 for n, _ in measured if n))
        c.subset(enrolled, plans)
        c.subset(plans, some)
        c.subset(some, c.add(f"{name}.all", sum(1 for n, t in measured if t and n >= t)))

    by_kind = Counter(need for f in cohort for need in f.needs)
    made, linked = [], []
    for kind in sorted({k for k, _ in by_kind}):
        for status in NEED_STATUSES:
            cell = c.add(f"needs.{kind}.{status}", by_kind[(kind, status)])
            if status in REFERRED:
                made.append(cell)
            if status == "connected":
                linked.append(cell)
    c.parts(c.add("referrals.made", sum(c.cells[m] for m in made)), made)
    c.parts(c.add("referrals.connected", sum(c.cells[m] for m in linked)), linked)
    c.subset("referrals.made", "referrals.connected")

    for name, windows in (
        ("postpartum_contact_by_3_weeks", [f.postpartum_contact for f in cohort]),
        ("pediatric_visit_by_72_hours", [f.pediatric_visit for f in cohort]),
    ):
        _window_cells(c, enrolled, name, windows)
    c.subset(enrolled, c.add("opted_out", sum(1 for f in cohort if f.opted_out)))
    return ProgramReport(from_, to, c.cells, tuple(c.groups))


def _statuses(facts: PlanFacts) -> set[str]:
    return {status for _, status in facts.needs}


def _window_cells(c: _Cells, enrolled: str, name: str, windows: list[Window]) -> None:
    """Plans whose window is settled (met, or closed without), and those met."""
    settled = c.add(f"{name}.plans", sum(1 for w in windows if w in ("met", "missed")))
    c.subset(enrolled, settled)
    c.subset(settled, c.add(f"{name}.met", sum(1 for w in windows if w == "met")))
