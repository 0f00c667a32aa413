"""What the bot promises, it says plainly and keeps: support, not a report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.engine import messages as m
from bot.engine.machine import Engine
from bot.engine.session import Session
from tests.drive import next_text

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LOCALES = ("en", "es", "pt_BR")


def support(engine: Engine, locale: str) -> str:
    sentence = engine.translator.gettext(locale, m.SUPPORT_NOT_REPORT)
    assert locale == "en" or sentence != m.SUPPORT_NOT_REPORT  # translated
    return sentence


@pytest.mark.parametrize("locale", LOCALES)
def test_welcome_help_and_first_sharing_question_say_support_not_a_report(
    i18n_engine: Engine, locale: str
) -> None:
    """In every language: the welcome, HELP, and the first question about sharing say the
    plan is support and answers do not go to child protective services."""
    sentence = support(i18n_engine, locale)
    session = Session(locale=locale)
    now = NOW
    first = i18n_engine.step(session, "hi", now)
    assert any(sentence in r for r in first.replies)
    session = first.session
    helped = i18n_engine.step(session, "help", now)
    assert any(sentence in r for r in helped.replies)

    consent_steps = {s.id for f in i18n_engine.flows.flows.values() for s in f.steps if s.consent}
    for _ in range(400):
        text = next_text(i18n_engine, session, now.date())
        assert text is not None, "the plan ended before any sharing question"
        now += timedelta(seconds=5)
        result = i18n_engine.step(session, text, now)
        session = result.session
        if session.mode == "ask" and session.step in consent_steps:
            break
    said = "\n".join(result.replies)
    assert sentence in said
    asked = i18n_engine.translator.gettext(
        locale, i18n_engine.flows["care_team"].step(session.step).ask
    )
    assert said.index(sentence) < said.index(asked)  # before the question itself
    # Asked once: the next sharing question does not repeat it.
    later = i18n_engine.step(session, next_text(i18n_engine, session, now.date()) or "", now)
    assert sentence not in "\n".join(later.replies)


@pytest.mark.parametrize(("locale", "word"), [("es", "hospital"), ("pt_BR", "hospital")])
def test_the_hospital_social_worker_keeps_hospital_in_every_language(
    i18n_engine: Engine, locale: str, word: str
) -> None:
    """ "Social worker" alone is the word parents link with child protection."""
    label = i18n_engine.translator.gettext(locale, "Hospital social worker")
    assert word in label.lower()


def test_a_private_safety_answer_is_never_texted_back(i18n_engine: Engine) -> None:
    """ "Your answer stays private and we won't text it back": a parent on her own phone
    says she does not always feel safe. The need it shows reaches the plan (and the team,
    by consent), but NEEDS, offers of local places and the read-back never name it."""
    session, now, sent = Session(), NOW, []
    for _ in range(600):
        if all(session.plan.is_done(f.id) for f in i18n_engine.flows.sections):
            break
        text = next_text(i18n_engine, session, now.date()) or "menu"
        if session.mode == "ask" and session.step == "shared_phone":
            text = "no"
        elif session.mode == "ask" and session.step == "feel_safe":
            text = "2"  # Not always
        elif session.mode == "ask" and session.step == "safe_contact":
            text = "no"
        now += timedelta(seconds=5)
        result = i18n_engine.step(session, text, now)
        session = result.session
        sent.extend(result.replies)
    assert not session.plan.shared_phone()
    assert session.plan.needs["safety"]["status"] == "need"
    for command in ("needs", "saved", "menu", "7"):
        result = i18n_engine.step(session, command, now)
        session = result.session
        sent.extend(result.replies)
    label = m.NEED_LABELS["safety"]  # "feeling safe at home"
    listed, offered = f"{label} - ", m.OFFERS_HEADER.format(need=label)
    assert any("Near you, for " in t for t in sent)  # offers were made, for other needs
    assert not [t for t in sent if listed in t or offered in t or ": Not always" in t]
    # NEEDS says private items exist, without pointing to MY PLAN (its page leaves them out).
    assert any(m.KEPT_PRIVATE in t for t in sent)
    assert not any(m.SEE_PRIVATE in t for t in sent)


def test_safe_sleep_and_naloxone_are_each_asked_once_and_never_disagree(
    i18n_engine: Engine,
) -> None:
    """Birth asks about a safe sleep space and Recovery about naloxone; Safety at home then
    skips both and shows the answers in its read-back. A later "No" to naloxone in Safety
    changes Recovery's answer too, and the parent is told, rather than two answers kept."""
    session, now, sent = Session(), NOW, []
    for _ in range(600):
        if all(session.plan.is_done(f.id) for f in i18n_engine.flows.sections):
            break
        text = next_text(i18n_engine, session, now.date()) or "menu"
        now += timedelta(seconds=5)
        result = i18n_engine.step(session, text, now)
        session = result.session
        sent.extend(result.replies)
    safety = i18n_engine.flows["safety"]
    for step_id in ("safe_sleep", "naloxone_home"):
        ask = safety.step(step_id).ask
        assert not [t for t in sent if t.startswith(ask)], step_id
    answers = session.plan.answers
    assert answers["safety"]["safe_sleep"] == "yes"  # from birth's "Yes" (ready)
    assert answers["safety"]["naloxone_home"] == answers["recovery"]["naloxone"] == "yes"

    result = i18n_engine.step(session, "menu", now)
    result = i18n_engine.step(result.session, "7", now)  # Safety at home: its read-back
    readback = "\n".join(result.replies)
    assert "Safe sleep: Yes" in readback
    assert "Naloxone at home: Yes" in readback
    number = next(
        line.split(".")[0] for line in readback.splitlines() if "Naloxone at home" in line
    )
    result = i18n_engine.step(result.session, number, now)
    result = i18n_engine.step(result.session, "3", now)  # No
    session = result.session
    assert "You answered this in Recovery and emotional health too." in " ".join(result.replies)
    assert session.plan.answers["recovery"]["naloxone"] == "no"
    assert "recovery" in session.plan.dirty  # its next "yes" makes a new version
    assert [(e.section, e.key) for e in result.events if hasattr(e, "key")] == [
        ("safety", "naloxone_home"),
        ("recovery", "naloxone"),
    ]
