"""Replies as parents write them: the labelled corpora, and the replies seen refused in review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.corpus import LANGUAGES, rate, score
from bot.engine import messages as m
from bot.engine.machine import Engine, StepResult
from bot.engine.session import Session

# Saturday 5 December 2026, midday in Connecticut.
NOW = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_corpus_is_understood_per_language(i18n_engine: Engine, lang: str) -> None:
    outcomes = score(i18n_engine, lang)
    held_out = [o for o in outcomes if o.case.held_out]
    assert len(outcomes) >= 400
    missed = [(o.case.question, o.case.text, o.got) for o in outcomes if not o.right]
    assert rate(outcomes) >= 0.95, missed
    assert rate(held_out) >= 0.95, missed


def at_step(flow: str, step: str, locale: str = "en", **answers: Any) -> Session:
    session = Session(locale=locale, status="active", mode="ask", flow=flow, step=step)
    session.timezone = "America/New_York"
    session.plan.answers["onboarding"] = {"consent": True, "name": "Sam", **answers}
    return session


def reply(engine: Engine, session: Session, text: str) -> StepResult:
    return engine.step(session, text, NOW)


@pytest.mark.parametrize(
    ("locale", "flow", "step", "text", "stored"),
    [
        ("pt_BR", "basic_needs", "housing_now", "sim", "stable"),
        ("pt_BR", "recovery", "in_treatment", "não", "no"),
        ("en", "basic_needs", "food_programs", "3 and 4", ["pantry", "want_help"]),
        ("en", "basic_needs", "food_programs", "SNAP and I want help with WIC",
         ["snap", "want_help"]),
        ("en", "birth", "sleep_space", "not yet, I need help getting one", "needs_one"),
        ("en", "onboarding", "best_time", "evenings are better", "evening"),
        # Issue 20: on 2026-12-05 a yearless due date is the next one, not "too far back".
        ("en", "onboarding", "due_date", "6/20", "2027-06-20"),
        ("en", "onboarding", "due_date", "7/4", "2027-07-04"),
        ("en", "onboarding", "due_date", "end of january", "2027-01-31"),
        ("es", "onboarding", "due_date", "20/6", "2027-06-20"),
        # ... and a yearless birth date is the last one.
        ("en", "onboarding", "birth_date", "12/25", "2025-12-25"),
        ("en", "reminders", "date", "dec 12 at 10:30am", "2026-12-12"),
        ("es", "reminders", "date", "el 12 de diciembre a las 3", "2026-12-12"),
        ("pt_BR", "reminders", "date", "dia 12 de dezembro", "2026-12-12"),
    ],
)  # fmt: skip
def test_replies_refused_in_review_are_understood(
    i18n_engine: Engine, locale: str, flow: str, step: str, text: str, stored: Any
) -> None:
    result = reply(i18n_engine, at_step(flow, step, locale), text)
    assert result.session.plan.answers[flow][step] == stored


@pytest.mark.parametrize(
    ("locale", "text"), [("en", "I don't know yet"), ("es", "más tarde"), ("pt_BR", "depois")]
)
def test_dont_know_and_later_skip_where_skipping_is_allowed(
    i18n_engine: Engine, locale: str, text: str
) -> None:
    skipped = reply(i18n_engine, at_step("health", "next_visit", locale), text).session
    assert skipped.plan.answers["health"]["next_visit"] is None
    assert "next_visit" in skipped.plan.skipped["health"]
    # A question that must be answered is asked again instead.
    asked = reply(i18n_engine, at_step("onboarding", "due_date", locale), text).session
    assert "due_date" not in asked.plan.answers["onboarding"]
    assert asked.step == "due_date"


def test_a_command_with_a_typo_is_that_command_when_no_answer_fits(i18n_engine: Engine) -> None:
    menu = reply(i18n_engine, at_step("basic_needs", "housing_now"), "meun").session
    assert menu.mode == "menu"
    talk = reply(i18n_engine, at_step("birth", "birth_place"), "can I talk to someone")
    assert talk.session.handoff


def offered(engine: Engine, locale: str = "en") -> Session:
    session = at_step("onboarding", "other_children", locale)
    session.mode, session.flow, session.step = "offer", "health", None
    return session


def test_the_next_part_offer_never_traps_the_parent_in_the_menu(i18n_engine: Engine) -> None:
    voice_title = "Health for you"
    unclear = reply(i18n_engine, offered(i18n_engine), "what is that")
    assert unclear.session.mode == "offer"
    assert len(unclear.replies) == 1
    assert voice_title in unclear.replies[0]
    assert "TALK" in unclear.replies[0]
    started = reply(i18n_engine, unclear.session, "yes").session
    assert (started.mode, started.flow) == ("ask", "health")


@pytest.mark.parametrize(("locale", "yes"), [("en", "yes"), ("es", "sí"), ("pt_BR", "sim")])
def test_yes_at_the_menu_goes_on_with_the_plan(i18n_engine: Engine, locale: str, yes: str) -> None:
    menu = reply(i18n_engine, offered(i18n_engine, locale), "MENU").session
    assert menu.mode == "menu"
    started = reply(i18n_engine, menu, yes).session
    assert (started.mode, started.flow) == ("ask", "health")


def test_an_unclear_reply_at_the_menu_gets_one_short_line_not_the_menu_again(
    i18n_engine: Engine,
) -> None:
    menu = reply(i18n_engine, offered(i18n_engine), "MENU").session
    result = reply(i18n_engine, menu, "hmm")
    assert result.replies == [i18n_engine.translator.gettext("en", m.MENU_AGAIN)]
    assert result.session.mode == "menu"


def test_back_stays_in_the_part_and_never_makes_a_reminder_twice(i18n_engine: Engine) -> None:
    """MENU → 6 → 5 → BACK once stepped into the finished reminder and made it again."""
    session = at_step("onboarding", "other_children")
    session.mode, session.flow, session.step = "idle", None, None
    session.plan.answers["onboarding"].update(stage="pregnant", zip="06103")
    made = 0
    for text in ["remind me", "1", "dec 12", "10am", "1", "yes", "menu", "6", "5", "back", "back"]:
        result = reply(i18n_engine, session, text)
        made += sum(type(e).__name__ == "ReminderRequested" for e in result.events)
        session = result.session
    assert made == 1
    assert session.flow == "family_support"
    assert (session.mode, session.step) == ("ask", "home_visiting")
    assert result.replies[0].startswith(
        i18n_engine.translator.gettext("en", m.NOTHING_TO_UNDO) + "\n"
    )


def test_every_state_of_a_whole_plan_answers_yes_a_number_skip_talk_and_menu(
    i18n_engine: Engine,
) -> None:
    """Never silence and never the menu unasked: at every point of a whole plan (questions,
    read-backs, consent, offers, the menu, and after the last part) YES, a number, SKIP,
    TALK, MENU, BACK, HELP and an unclear text each get a reply; only MENU shows the menu."""
    path = Path(__file__).resolve().parent.parent / "transcripts" / "shipped" / "full_plan.yaml"
    sends = [str(turn["send"]) for turn in yaml.safe_load(path.read_text("utf-8"))["turns"]]
    menu_header = i18n_engine.translator.gettext("en", m.MENU_HEADER).split("{")[0]
    session, now = Session(), NOW
    for text in [*sends, "ok"]:
        for probe in ("yes", "2", "skip", "talk", "menu", "back", "help", "hmm"):
            result = i18n_engine.step(session, probe, now)
            where = f"{probe!r} in {session.mode}/{session.flow}/{session.step}"
            assert result.replies or result.events, f"silence after {where}"
            shows_menu = any(r.startswith(menu_header) for r in result.replies)
            if session.status == "active" and session.flow != "onboarding":  # no menu there yet
                assert shows_menu == (probe == "menu") or session.mode == "menu", where
        session = i18n_engine.step(session, text, now).session
        now += timedelta(minutes=1)


@pytest.mark.parametrize(
    ("locale", "flow", "step", "text", "asks", "fits", "stored"),
    [
        ("en", "birth", "baby_home", "baby", "Did you mean ", (1, 2), "hospital"),
        ("es", "recovery", "household_use", "apoyo", "¿Quisiste decir ", (2, 3), "without_support"),
        ("pt_BR", "birth", "baby_home", "está", "Você quis dizer ", (1, 2), "hospital"),
    ],
)
def test_a_reply_that_fits_two_choices_gets_one_short_question(
    i18n_engine: Engine,
    locale: str,
    flow: str,
    step: str,
    text: str,
    asks: str,
    fits: tuple[int, int],
    stored: str,
) -> None:
    """Not "Sorry, I didn't get that": the choices it fits, by number, in one text; the
    number then answers the question."""
    session = at_step(flow, step, locale)
    result = reply(i18n_engine, session, text)
    [question] = result.replies
    assert question.startswith(asks), question
    assert f"{fits[0]} (" in question, question
    assert f"{fits[1]} (" in question, question
    assert step not in result.session.plan.answers.get(flow, {})
    after = reply(i18n_engine, result.session, str(fits[1]))
    assert after.session.plan.answers[flow][step] == stored
