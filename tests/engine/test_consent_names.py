"""Consent that names names (42 CFR 2.31): before a yes to sharing a part, the parent sees
the organizations that will receive it, the intermediary, exactly what it holds, and the
date; "don't share" in any language takes every permission back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.engine import messages as m
from bot.engine.machine import Engine
from bot.engine.session import Session
from bot.engine.sharing import TeamView
from bot.flows import build_engine
from bot.i18n_catalogs import shipped_locales
from tests.drive import next_text

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SHARE_WITH_TREATMENT = {"share_recovery_ok": "yes", "share_recovery": "3"}


def hartford(zip_code: str, state: str | None) -> tuple[str, ...]:
    return ("Hartford Hope", "Riverside Clinic") if zip_code.startswith("06") else ()


@pytest.fixture(scope="module")
def engine() -> Engine:
    built = build_engine(locales=tuple(shipped_locales()))
    built.team = TeamView("Safe Start program office", hartford)
    return built


def transcript_until(
    engine: Engine, locale: str, stop_at: str, answers: dict[str, str]
) -> tuple[Session, list[tuple[str, list[str]]]]:
    """Text through the plan (first choice, yes...) until the question `stop_at` is asked;
    the exchange as (sent, replies) pairs."""
    session, now, said = Session(locale=locale), NOW, []
    for _ in range(600):
        if session.mode == "ask" and session.step == stop_at:
            return session, said
        text = next_text(engine, session, now.date()) or "menu"
        if session.mode == "ask" and session.step in answers:
            text = answers[session.step]
        now += timedelta(seconds=5)
        result = engine.step(session, text, now)
        session = result.session
        said.append((text, result.replies))
    raise AssertionError(f"{stop_at} was never asked")


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_before_a_yes_the_parent_sees_who_gets_the_part_what_it_holds_and_the_date(
    engine: Engine, locale: str
) -> None:
    session, said = transcript_until(engine, locale, "recovery_consent", SHARE_WITH_TREATMENT)
    voice = engine.translator
    # The texts that came with the question "Who may see your recovery part?".
    asked = engine.flows["care_team"].step("share_recovery").ask
    question_at = next(
        i
        for i, (_, replies) in enumerate(said)
        if any(voice.gettext(locale, asked) in r for r in replies)
    )
    before = "\n".join(said[question_at][1])
    assert "Hartford Hope, Riverside Clinic" in before
    assert "Safe Start program office" in before
    for label in ("In treatment now", "Medication for recovery", "Substance use at home"):
        assert voice.gettext(locale, label) in before, label
    day = NOW.date()  # the date of this consent, in numbers as people write it there
    numbers = (day.month, day.day) if locale == "en" else (day.day, day.month)
    assert f"{numbers[0]}/{numbers[1]}/{day.year}" in before
    # All of it before the yes that shares: the last question is still open.
    assert session.step == "recovery_consent"
    assert not session.plan.has_answer("care_team", "recovery_consent")


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "don't share"), ("es", "no compartas"), ("pt_BR", "não compartilhe")],
)
def test_dont_share_in_every_language_takes_the_permissions_back(
    engine: Engine, locale: str, words: str
) -> None:
    answers = {**SHARE_WITH_TREATMENT, "share_basic_needs": "1"}
    session, _ = transcript_until(engine, locale, "recovery_consent", answers)
    assert session.plan.answer("care_team", "share_basic_needs") == ["social_worker"]
    result = engine.step(session, words, NOW + timedelta(days=1))
    after = result.session.plan.answers["care_team"]
    assert after["share_basic_needs"] == ["no_one"]
    assert after["share_recovery_ok"] is False
    # The stop is said first, then the open question again, in one text.
    assert result.replies[0].startswith(engine.translator.gettext(locale, m.SHARING_STOPPED) + "\n")


def test_a_parent_stops_sharing_one_part_with_one_recipient_by_text(engine: Engine) -> None:
    """SHARING, the recipient's number, then the part's number: only that part stops."""
    answers = {"share_basic_needs": "1", "share_health": "1"}
    session, _ = transcript_until(engine, "en", "recovery_consent", answers)
    later = NOW + timedelta(days=2)
    listed = engine.step(session, "sharing", later)
    assert "Hospital social worker: Basic needs, Health for you" in "\n".join(listed.replies)
    which = engine.step(listed.session, "1", later)
    offered = "\n".join(which.replies)
    assert "1. Basic needs\n2. Health for you\n3. Birth and going home" in offered
    assert offered.endswith("All of them")
    done = engine.step(which.session, "1", later)
    care_team = done.session.plan.answers["care_team"]
    assert care_team["share_basic_needs"] == ["no_one"]
    assert care_team["share_health"] == ["social_worker"]
    changed = [(e.key, e.new) for e in done.events if hasattr(e, "new")]
    assert changed == [("share_basic_needs", ["no_one"])]
    assert done.replies[0].startswith("Done. Hospital social worker will not get Basic needs")
