"""Program counts over real stored plans, against counts worked out independently; suppression."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.reminders.store import Appointment, ReminderStore
from bot.reports.collect import collect_facts
from bot.reports.facts import PlanFacts
from bot.reports.program import program_report
from bot.reports.suppress import Group, small, suppress
from bot.store.crypto import Cipher
from bot.store.keys.reminders import ReminderKeys
from bot.store.redis_store import RedisConversationStore
from bot.store.reminder_records_redis import RedisReminderRecords
from tests.reports.conftest import write_plans
from tests.reports.synthetic import FROM, TO, Spec, expected, specs

# A fixed "today", long after every synthetic plan (FROM..TO): no window is still open.
TODAY = date(2026, 11, 23)


@pytest.mark.anyio
async def test_two_hundred_stored_plans_give_the_counts_worked_out_by_hand(
    store: RedisConversationStore,
) -> None:
    """200 synthetic plans, saved through store.transact and read back with contacts() and
    load_contacts(): every count equals the one computed from the plans' own specs."""
    made = specs(200)
    await write_plans(store, made)
    facts = await collect_facts(store, as_of=TODAY, batch=64)
    assert len(facts) == 200  # each plan once, across batches
    cells = program_report(facts, FROM, TO).cells
    want = expected(made)
    assert set(want) <= set(cells)
    assert {k: v for k, v in cells.items() if v} == {k: v for k, v in want.items() if v}
    assert 150 < cells["enrolled"] < 200  # the period leaves some plans out
    assert cells["needs.housing.referred"] > 0


@pytest.mark.anyio
async def test_confirmed_appointments_count_as_visits(
    store: RedisConversationStore, redis: Redis, cipher: Cipher, prefix: str
) -> None:
    """A postpartum visit and a baby check-up the parent confirmed (reminders' C reply), on
    days inside their windows, count; one only scheduled does not."""
    birth = date(2024, 3, 1)
    confirmed, scheduled = (
        Spec(n, f"P{n}", f"+1860555010{n}", "06103", date(2024, 2, 1), "born", birth=birth)
        for n in (1, 2)
    )
    await write_plans(store, [confirmed, scheduled])
    reminders = ReminderStore(RedisReminderRecords(redis, cipher, ReminderKeys(prefix)))
    for spec, status in ((confirmed, "confirmed"), (scheduled, "scheduled")):
        contact = store.keys_for(spec.phone).contact
        for ident, kind, days in (("a", "postpartum_visit", 12), ("b", "baby_checkup", 2)):
            day = birth + timedelta(days=days)
            visit = Appointment(ident, contact, kind, day, time(10), status=status)  # type: ignore[arg-type]
            await reminders.put(visit)

    without = await collect_facts(store, as_of=TODAY)
    with_visits = await collect_facts(store, as_of=TODAY, appointments=reminders)
    assert sorted(f.postpartum_contact for f in without) == ["missed", "missed"]
    assert sorted(f.postpartum_contact for f in with_visits) == ["met", "missed"]
    assert sorted(f.pediatric_visit for f in with_visits) == ["met", "missed"]


def facts(**changes: object) -> PlanFacts:
    base = PlanFacts(
        enrolled_on=date(2024, 2, 1),
        started="prenatally",
        sections_done=8,
        sections_total=8,
        by_36_weeks=8,
        by_discharge=None,
        needs=(),
        postpartum_contact="unknown",
        pediatric_visit="unknown",
        opted_out=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_counts_from_one_to_four_are_withheld_and_cannot_be_worked_out() -> None:
    """20 plans: 3 started after birth (withheld as small), so one more of the three
    "started" counts is withheld too, or 20 - 17 would give the 3 away. Zero is shown."""
    cohort = [facts() for _ in range(17)] + [facts(started="after_birth") for _ in range(3)]
    cohort += [facts(enrolled_on=date(2023, 1, 1))]  # outside the period: not counted
    published = program_report(cohort, FROM, TO).publish()
    assert published.cells["enrolled"] == 20
    assert published.cells["started.after_birth"] is None
    assert published.withheld["started.after_birth"] == "small"
    assert published.cells["started.unknown"] == 0
    assert published.cells["started.prenatally"] is None
    assert published.withheld["started.prenatally"] == "complementary"
    assert published.cells["opted_out"] == 0


def test_a_small_remainder_withholds_the_count_it_hides_behind() -> None:
    """22 of 24 plans finished a section: the unpublished "no section" is 2, so the 22 is
    withheld (the 24 enrolled stays: it is the one everyone needs)."""
    cohort = [facts() for _ in range(22)] + [facts(sections_done=0) for _ in range(2)]
    published = program_report(cohort, FROM, TO).publish()
    assert published.cells["enrolled"] == 24
    assert published.cells["plans.with_a_section_done"] is None
    assert published.withheld["plans.with_a_section_done"] == "complementary"


names = st.sampled_from([f"c{i}" for i in range(8)])


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[str, int], list[Group]]:
    """Random counts with sums between them that hold, some parts never published."""
    cells = {name: draw(st.integers(0, 12)) for name in [f"c{i}" for i in range(8)]}
    groups = []
    for _ in range(draw(st.integers(1, 4))):
        parts = tuple(draw(st.lists(names, min_size=1, max_size=3, unique=True)))
        total = draw(names.filter(lambda n: n not in parts))  # noqa: B023 - drawn at once
        hidden = tuple(draw(st.lists(st.integers(0, 6), max_size=2)))
        cells[total] = sum(cells[p] for p in parts) + sum(hidden)
        groups.append(Group(total, parts, hidden))
    return cells, groups


@given(tables())
def test_no_small_count_is_shown_or_the_only_unknown_of_a_sum(
    table: tuple[dict[str, int], list[Group]],
) -> None:
    cells, groups = table
    withheld = suppress(cells, groups)
    assert not [n for n, c in cells.items() if small(c) and n not in withheld]
    for group in groups:
        names_in = (group.total, *group.parts)
        exposed = any(small(cells[n]) for n in names_in) or any(map(small, group.unpublished))
        unknown = sum(n in withheld for n in names_in) + len(group.unpublished)
        assert not exposed or unknown >= 2, (group, withheld)
