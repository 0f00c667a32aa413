"""No SMS text a parent gets is over two segments, in any language (#14): whole plans with
every part's sharing (consent) turn, as sent by default (GSM-7 spelling) and with accents
kept (SMS_PLAIN_LETTERS=false). The engine joins a turn's texts into one reply; the SMS
channel sends it as segments.sms_texts cuts it."""

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
PLANS = {
    "en": ("full_plan.yaml", "sharing_stop_and_resume.yaml", "needs_and_help.yaml"),
    "es": ("es_full_plan.yaml", "es_sharing_stop_and_resume.yaml"),
    "pt_BR": ("pt_BR_full_plan.yaml", "pt_BR_sharing_stop_and_resume.yaml"),
}


def replies(engine: Engine, name: str) -> list[str]:
    transcript = yaml.safe_load((SHIPPED / name).read_text("utf-8"))
    session = Session(locale=transcript.get("locale", "en"))
    now = datetime.fromisoformat(str(transcript.get("start", "2026-11-23T15:00:00+00:00")))
    said: list[str] = []
    for turn in transcript["turns"]:
        now += timedelta(minutes=1)
        outcome = engine.step(session, str(turn["send"]), now)
        session = outcome.session
        said.extend(outcome.replies)
    return said


@pytest.mark.parametrize("plain", [True, False], ids=["default", "accents-kept"])
@pytest.mark.parametrize("locale", sorted(PLANS))
def test_no_sms_text_is_over_two_segments(i18n_engine: Engine, locale: str, plain: bool) -> None:
    said = [r for name in PLANS[locale] for r in replies(i18n_engine, name)]
    # Every part's sharing turn is among them (the details offer comes with each).
    offer = i18n_engine.translator.gettext(locale, m.CONSENT_DETAILS_OFFER)
    assert sum(offer in r for r in said) >= 5
    over = [
        (segment_count(text), text)
        for reply in said
        for text in sms_texts(reply, plain=plain)
        if segment_count(text) > SMS_MAX_SEGMENTS
    ]
    assert not over
