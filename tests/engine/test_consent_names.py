"""Consent that names names (42 CFR 2.31): before a yes to sharing a part, the parent sees
the organizations that will receive it, the intermediary, exactly what it holds, and the
date; "don't share" in any language takes every permission back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.careteam.directory import load_directory
from bot.engine import messages as m
from bot.engine.events import SharingResumed, SharingWithheld
from bot.engine.machine import Engine
from bot.engine.session import Session
from bot.engine.sharing import WITHHELD, TeamView
from bot.flows import build_engine
from bot.i18n_catalogs import shipped_locales
from tests.conftest import EXAMPLE_DIRECTORY
from tests.drive import next_text

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SHARE_WITH_TREATMENT = {"share_recovery_ok": "yes", "share_recovery": "3"}


def hartford(zip_code: str, state: str | None) -> tuple[str, ...]:
    return tuple(name for _, name in hartford_named(zip_code, state))


def hartford_named(zip_code: str, state: str | None) -> tuple[tuple[str, str], ...]:
    named = (("hope", "Hartford Hope"), ("riverside", "Riverside Clinic"))
    return named if zip_code.startswith("06") else ()


@pytest.fixture(scope="module")
def engine() -> Engine:
    built = build_engine(locales=tuple(shipped_locales()))
    built.team = TeamView("Safe Start program office", hartford, hartford_named)
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


def number_of(replies: list[str], text: str, after: str = "") -> str:
    """The number of the first listed line holding `text` (below the line `after`)."""
    said = "\n".join(replies)
    lines = (said.split(after, 1)[1] if after else said).splitlines()
    return next(line for line in lines if text in line).split(".", 1)[0]


def stopped_for_riverside(engine: Engine, locale: str = "en") -> tuple[Session, datetime]:
    """Basic needs and Health shared with the social worker, then both stopped for
    Riverside Clinic by text (SHARING, the organization, All of them)."""
    answers = {"share_basic_needs": "1", "share_health": "1", "share_birth": "7"}
    answers["share_recovery_ok"] = "no"
    session, _ = transcript_until(engine, locale, "share_baby", answers)
    later = NOW + timedelta(days=2)
    listed = engine.step(session, "sharing", later)
    which = engine.step(listed.session, number_of(listed.replies, "Riverside Clinic: "), later)
    every = engine.translator.gettext(locale, m.SHARING_ALL_PARTS)
    done = engine.step(which.session, number_of(which.replies, every), later)
    assert [e.organization for e in done.events] == ["riverside", "riverside"]
    return done.session, later


def ask_to_share_health_again(engine: Engine, session: Session, at: datetime) -> Session:
    voice = engine.translator
    stopped_header = voice.gettext(session.locale, m.SHARING_STOPPED_HEADER)
    listed = engine.step(session, "sharing", at)
    line = number_of(listed.replies, "Riverside Clinic: ", after=stopped_header)
    which = engine.step(listed.session, line, at)
    health = voice.gettext(session.locale, "Health for you")
    asked = engine.step(which.session, number_of(which.replies, health), at)
    assert asked.events == []
    return asked.session


def test_a_stopped_part_is_shown_stopped_and_a_yes_after_the_details_shares_it_again(
    engine: Engine,
) -> None:
    """SHARING lists what the parent stopped, with a number to share it again; before the
    yes come the organization (that one only), the intermediary, what the part holds, the
    date and the terms; only the yes takes the stop back, for that part only."""
    session, later = stopped_for_riverside(engine)
    listed = "\n".join(engine.step(session, "sharing", later).replies)
    assert "By organization:\n2. Hartford Hope: Basic needs, Health for you\n" in listed
    assert "You stopped sharing:\n3. Riverside Clinic: Basic needs, Health for you" in listed
    assert listed.endswith("To share a stopped part again, reply its number.")
    which = engine.step(engine.step(session, "sharing", later).session, "3", later)
    assert "\n".join(which.replies).startswith(
        "Which part should Riverside Clinic get again? Reply its number:\n"
        "1. Basic needs\n2. Health for you"
    )
    asked = engine.step(which.session, "2", later)
    said = "\n".join(asked.replies)
    day = later.date()
    assert (
        f"Today is {day.month}/{day.day}/{day.year}. If shared, this part goes to "
        "Riverside Clinic, through Safe Start program office." in said
    )
    assert "Hartford Hope" not in said
    assert "What it holds: Pregnancy care, Pregnancy provider, Next check-up" in said
    assert "It lasts until your baby turns 1, unless you stop it sooner." in said
    assert said.endswith(
        "Share Health for you with Riverside Clinic again? "
        "Reply YES to share it, or NO to keep it stopped."
    )
    assert asked.events == []
    assert asked.session.plan.prefs[WITHHELD] == {
        "share_basic_needs": ["riverside"],
        "share_health": ["riverside"],
    }
    yes = engine.step(asked.session, "yes", later)
    assert yes.events == [SharingResumed("share_health", "riverside")]
    assert yes.replies[0].startswith(
        "Done. Riverside Clinic will get Health for you again, starting now."
    )
    assert yes.session.plan.prefs[WITHHELD] == {"share_basic_needs": ["riverside"]}
    after = "\n".join(engine.step(yes.session, "sharing", later).replies)
    assert "3. Riverside Clinic: Health for you\nYou stopped sharing:\n" in after
    assert "4. Riverside Clinic: Basic needs\n" in after


@pytest.mark.parametrize(
    ("locale", "reply"),
    [
        ("en", "no"),
        ("es", "no"),
        ("pt_BR", "não"),
        ("en", "1"),  # a number is not the word YES
        ("en", "maybe later"),
        ("en", "menu"),  # a command: the stop is kept, then the menu
    ],
)
def test_anything_but_yes_leaves_the_part_stopped(engine: Engine, locale: str, reply: str) -> None:
    session, later = stopped_for_riverside(engine, locale)
    asked = ask_to_share_health_again(engine, session, later)
    answered = engine.step(asked, reply, later)
    assert not [e for e in answered.events if isinstance(e, SharingResumed)]
    assert answered.session.plan.prefs[WITHHELD] == {
        "share_basic_needs": ["riverside"],
        "share_health": ["riverside"],
    }
    voice = engine.translator
    health = voice.gettext(locale, "Health for you")
    kept = voice.gettext(locale, m.SHARING_RESUME_KEPT).format(who="Riverside Clinic", part=health)
    assert answered.replies[0].startswith(kept)
    if reply == "menu":
        assert answered.session.mode == "menu"
    # The question is not left open: a YES now answers whatever is asked next.
    assert not [e for e in engine.step(answered.session, "yes", later).events if
                isinstance(e, SharingResumed)]  # fmt: skip


def test_on_a_shared_phone_a_stopped_recovery_part_is_named_by_its_number(
    engine: Engine,
) -> None:
    """PRIVATE ON: the stopped list and the question name the recovery part "Part 4" and
    Riverside Clinic by its number; the details before the yes are that consent question,
    as when it was first asked."""
    session, _ = transcript_until(engine, "en", "recovery_consent", SHARE_WITH_TREATMENT)
    later = NOW + timedelta(days=2)
    session = engine.step(session, "yes", later).session
    session = engine.step(session, "private on", later).session
    listed = engine.step(session, "sharing", later)
    which = engine.step(listed.session, number_of(listed.replies, "Organization 2: "), later)
    stopped = engine.step(which.session, number_of(which.replies, "Part 4"), later)
    assert stopped.events == [SharingWithheld("share_recovery", "riverside")]
    header = m.SHARING_STOPPED_HEADER
    again = engine.step(stopped.session, "sharing", later)
    line = number_of(again.replies, "Organization 2: ", after=header)
    assert f"\n{line}. Organization 2: Part 4\n" in "\n".join(again.replies)
    asked = engine.step(again.session, line, later)
    assert asked.replies[-1].endswith(
        "Share Part 4 with Organization 2 again? Reply YES to share it, or NO to keep it stopped."
    )
    assert "Recovery" not in asked.replies[-1].split("What it holds:")[-1].split("\n", 1)[-1]
    yes = engine.step(asked.session, "yes", later)
    assert yes.events == [SharingResumed("share_recovery", "riverside")]
    assert yes.replies[0].startswith("Done. Organization 2 will get Part 4 again")


@pytest.mark.parametrize("consent", ["no", "yes"])
def test_sharing_lists_the_recovery_part_only_with_its_part2_yeses(
    engine: Engine, consent: str
) -> None:
    """A NO to recovery_consent shares nothing of the recovery part (the care team's rule,
    bot/careteam/consent.py): SHARING lists it for no one, by role or by organization, and
    does not offer to share it again where it was stopped. With the YES it is listed."""
    answers = {**SHARE_WITH_TREATMENT, "share_basic_needs": "1"}
    session, _ = transcript_until(engine, "en", "recovery_consent", answers)
    later = NOW + timedelta(days=2)
    session = engine.step(session, consent, later).session
    assert session.plan.answer("care_team", "share_recovery") == ["treatment"]
    session.plan.prefs[WITHHELD] = {"share_recovery": ["riverside"]}  # stopped for one
    listed = "\n".join(engine.step(session, "sharing", later).replies)
    recovery = engine.translator.gettext("en", engine.flows["recovery"].title)
    social_worker = "1. Hospital social worker: Basic needs, Health for you, Birth and going home"
    assert social_worker + "\n" in listed
    if consent == "yes":
        assert f"\n2. Treatment provider: {recovery}\n" in listed
        assert f"You stopped sharing:\n5. Riverside Clinic: {recovery}\n" in listed
    else:
        assert recovery not in listed
        assert "Treatment provider" not in listed
        assert m.SHARING_STOPPED_HEADER not in listed
        assert m.SHARING_HOW_TO_RESUME not in listed


def test_on_a_shared_phone_a_treatment_role_is_named_by_its_number_and_stops(
    engine: Engine,
) -> None:
    """PRIVATE ON: SHARING names the treatment provider by the number the parent picked it
    by ("Care team member 3"), as the recovery part is "Part 4"; its number stops it for
    every part, the Part 2 yeses staying as they were (they are not one role's)."""
    session, _ = transcript_until(engine, "en", "recovery_consent", SHARE_WITH_TREATMENT)
    later = NOW + timedelta(days=2)
    session = engine.step(session, "yes", later).session
    session = engine.step(session, "private on", later).session
    listed = engine.step(session, "sharing", later)
    assert "\n2. Care team member 3: Part 4\n" in "\n".join(listed.replies)
    assert "Treatment" not in "\n".join(listed.replies)
    done = engine.step(listed.session, "2", later)
    assert done.replies[0].startswith("Done. Care team member 3 will not get any part of your")
    care_team = done.session.plan.answers["care_team"]
    assert care_team["share_recovery"] == ["no_one"]
    assert care_team["recovery_consent"] is True


@pytest.mark.parametrize(
    ("locale", "through"),
    [
        ("en", "through Safe Start, operated by Connecticut Safe Start Pilot."),
        ("es", "a través de Safe Start, operado por Connecticut Safe Start Pilot."),
        ("pt_BR", "por meio de Safe Start, operado por Connecticut Safe Start Pilot."),
    ],
)
def test_the_intermediary_is_named_in_the_parents_language(
    i18n_engine: Engine, locale: str, through: str
) -> None:
    """The example directory names the intermediary and who operates it; the words around
    the names are ours, in the parent's language. The record keeps the English."""
    answers = {"shared_phone": "no"}
    _, said = transcript_until(i18n_engine, locale, "share_basic_needs", answers)
    texts = "\n".join(text for _, replies in said for text in replies)
    assert through in texts
    if locale != "en":
        assert "operated by" not in texts
    program = load_directory(EXAMPLE_DIRECTORY).program
    assert program.intermediary_named == "Safe Start, operated by Connecticut Safe Start Pilot"
