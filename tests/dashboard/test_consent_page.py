"""MY PLAN's sharing details in the parent's language: what a shared phone's sharing texts
leave out (organizations by name, the intermediary, what each part holds, who sees it now,
the date, how long), for every part a sharing question asks about."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.dashboard.consent_page import WHO_NOW, sharing_details
from bot.engine import messages as m
from bot.engine.machine import Engine
from bot.engine.render import Voice
from tests.drive import YES
from tests.engine.test_consent_names import NOW, transcript_until


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_the_page_names_every_part_in_full_in_the_parents_language(
    i18n_engine: Engine, locale: str
) -> None:
    answers = {"shared_phone": YES[locale], "share_basic_needs": "1", "share_recovery_ok": "no"}
    session, _ = transcript_until(i18n_engine, locale, "share_baby", answers)
    translate = i18n_engine.translator
    voice = Voice(translate, locale, "Safe Start", "Plan of Safe Care", "Ana")
    today = (NOW + timedelta(days=1)).date()
    details = sharing_details(voice, i18n_engine.flows, i18n_engine.team, session.plan, today)
    titles = [p.title for p in details.parts]
    assert titles[0] == translate.gettext(locale, "Basic needs")
    assert translate.gettext(locale, "Recovery and emotional health") in titles
    basic = "\n".join(details.parts[0].lines)
    assert "Hartford Hope Hospital and Family Services" in basic
    operated = i18n_engine.team.through(voice)
    assert operated in basic
    assert "Connecticut Safe Start Pilot" in operated
    assert f"{translate.gettext(locale, m.CONSENT_WHAT)} {voice('Place to live')}" in basic
    social_worker = voice("Hospital social worker")
    assert translate.gettext(locale, WHO_NOW).format(who=social_worker) in basic
    assert details.terms == voice(m.SHARING_RESUME_TERMS)
