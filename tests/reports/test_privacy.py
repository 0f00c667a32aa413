"""No name, phone number, ZIP code or date of birth can reach the report's JSON or CSV."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reports.facts import facts_of
from bot.reports.program import program_report
from bot.reports.render import report_csv, report_json
from tests.reports.synthetic import FROM, TO, Spec, session_of, specs

AS_OF = date(2025, 6, 1)
COHORT = specs(25, seed=3)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

names = st.text(alphabet=st.characters(categories=("L", "Zs")), min_size=1, max_size=40)
phones = st.from_regex(r"\+1[2-9]\d{2}[2-9]\d{6}", fullmatch=True)
zips = st.from_regex(r"[0-9]{5}", fullmatch=True)
identities = st.lists(st.tuples(names, phones, zips), min_size=len(COHORT), max_size=len(COHORT))


def outputs(cohort: list[Spec]) -> tuple[str, str]:
    facts = [facts_of(session_of(s), as_of=AS_OF) for s in cohort]
    published = program_report(facts, FROM, TO).publish()
    return json.dumps(report_json(published)), report_csv(published)


def with_identities(people: list[tuple[str, str, str]]) -> list[Spec]:
    return [
        replace(s, name=name, phone=phone, zip_code=zip_code)
        for s, (name, phone, zip_code) in zip(COHORT, people, strict=True)
    ]


BASELINE = outputs(COHORT)


@settings(max_examples=40, deadline=None)
@given(identities)
def test_the_report_is_the_same_whoever_the_parents_are(people: list[tuple[str, str, str]]) -> None:
    """Names, phone numbers and ZIP codes (in the plan's answers and in the team's notes on
    needs) change nothing in the JSON or the CSV, so none of them can be in it. (A name may
    still be an ordinary word of the report, "prenatally" say: hence the marked names.)"""
    marked = [(f"Zq{name}", phone, zip_code) for name, phone, zip_code in people]
    assert outputs(with_identities(marked)) == BASELINE
    text = "".join(BASELINE)
    for name, phone, zip_code in marked:
        assert name not in text
        assert phone not in text
        assert phone[2:] not in text
        assert zip_code not in text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dates(date(2023, 1, 1), date(2024, 12, 31)), min_size=5, max_size=5))
def test_no_birth_or_due_date_is_written(births: list[date]) -> None:
    """Birth dates change the counts, never the text: the only dates written are the
    period's own first and last day."""
    cohort = [replace(s, birth=b, due=b) for s, b in zip(COHORT, births, strict=False)]
    cohort += COHORT[len(births) :]
    for text in outputs(cohort):
        assert set(ISO_DATE.findall(text)) <= {FROM.isoformat(), TO.isoformat()}
        for day in births:
            assert f"{day.month}/{day.day}/{day.year}" not in text
            assert f"{day:%Y%m%d}" not in text
