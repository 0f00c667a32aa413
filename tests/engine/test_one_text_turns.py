"""Consent turns come as one web-chat text in every language (#14): each part's sharing turn
in a whole plan on a shared phone, and the turn that asks to share a stopped part again, fit
what one turn may send together (render.join_turn: 4 GSM-7 / 9 UCS-2 segments), so Spanish
and Portuguese, whose accents bill as UCS-2, are not cut into two bubbles where English is
one. Over SMS each text they make stays within 2 segments."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.engine import messages as m
from bot.engine.machine import Engine
from bot.engine.segments import SMS_MAX_SEGMENTS, segment_count, sms_texts
from bot.engine.session import Session

SHIPPED = Path(__file__).resolve().parents[1] / "transcripts" / "shipped"
LOCALES = ("en", "es", "pt_BR")


def turns(engine: Engine, name: str) -> list[list[str]]:
    """Each parent text's replies, as the engine gives them (one entry per web-chat text)."""
    transcript = yaml.safe_load((SHIPPED / name).read_text("utf-8"))
    session = Session(locale=transcript.get("locale", "en"))
    now = datetime.fromisoformat(str(transcript.get("start", "2026-11-23T15:00:00+00:00")))
    said: list[list[str]] = []
    for turn in transcript["turns"]:
        now += timedelta(minutes=1)
        outcome = engine.step(session, str(turn["send"]), now)
        session = outcome.session
        said.append(list(outcome.replies))
    return said


def prefixed(locale: str, name: str) -> str:
    return name if locale == "en" else f"{locale}_{name}"


def sms_over(replies: list[str]) -> list[str]:
    """SMS texts over 2 segments, as sent by default and with accents kept."""
    return [
        t
        for r in replies
        for plain in (True, False)
        for t in sms_texts(r, plain=plain)
        if segment_count(t) > SMS_MAX_SEGMENTS
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sharing_turn_of_a_whole_plan_is_one_web_text(
    i18n_engine: Engine, locale: str
) -> None:
    """Basic needs' (the first, with "support, not a report") and every later part's."""
    offer = i18n_engine.translator.gettext(locale, m.CONSENT_DETAILS_OFFER)
    consent = [
        r for r in turns(i18n_engine, prefixed(locale, "full_plan.yaml")) if offer in "\n".join(r)
    ]
    assert len(consent) >= 7
    assert [len(r) for r in consent] == [1] * len(consent)
    assert not [t for r in consent for t in sms_over(r)]


@pytest.mark.parametrize("locale", LOCALES)
def test_sharing_a_stopped_part_again_is_asked_in_one_web_text(
    i18n_engine: Engine, locale: str
) -> None:
    """Who gets it, through whom, what it holds, how long, care not depending on a yes, and
    the question: one text (the DETAILS turn on a shared phone, after its warning, aside)."""
    gettext = i18n_engine.translator.gettext
    terms = gettext(locale, m.SHARING_RESUME_TERMS)
    warning = gettext(locale, m.DETAILS_WARNING)
    said = turns(i18n_engine, prefixed(locale, "sharing_stop_and_resume.yaml"))
    asked = [r for r in said if terms in "\n".join(r) and warning not in "\n".join(r)]
    assert len(asked) >= 2
    assert [len(r) for r in asked] == [1] * len(asked)
    assert not [t for r in asked for t in sms_over(r)]
