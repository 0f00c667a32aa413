"""STOP as parents write it, in every language: the common phrasings stop the texts (data in
each catalog's STOP keywords), and nothing that merely contains a stop word does. STOP and a
crisis pass the flood guard first, the crisis as the conversation reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.engine import messages as m
from bot.engine.events import OptedOut
from bot.engine.machine import Engine
from bot.engine.session import Session

NOW = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
CORPORA = Path(__file__).resolve().parents[1] / "corpora"


def mid_plan(locale: str) -> Session:
    """A parent on a yes/no question of the plan."""
    session = Session(locale=locale, status="active", mode="ask", flow="recovery")
    session.step = "in_treatment"
    session.timezone = "America/New_York"
    session.plan.answers["onboarding"] = {"consent": True, "name": "Sam"}
    return session


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("pt_BR", "pare de mandar mensagem"),
        ("pt_BR", "Parem"),
        ("pt_BR", "chega"),
        ("pt_BR", "Chega de mandar mensagem!"),
        ("pt_BR", "não me mandem mais, por favor"),
        ("es", "ya no me mandes mensajes"),
        ("es", "No me manden más"),
        ("es", "no me manden mas por favor"),
        ("es", "paren"),
        ("es", "dejen de mandarme mensajes"),
        ("en", "stop texting me please"),
    ],
)
def test_common_ways_to_say_stop_stop(i18n_engine: Engine, locale: str, text: str) -> None:
    result = i18n_engine.step(mid_plan(locale), text, NOW)
    assert result.session.status == "opted_out"
    assert any(isinstance(e, OptedOut) for e in result.events)
    said = i18n_engine.translator.gettext(locale, m.OPTED_OUT).format(program="Safe Start")
    assert result.replies == [said]


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("pt_BR", "não pare"),
        ("es", "no pare"),
        ("pt_BR", "chega amanhã"),
        ("es", "para mi bebé"),
        ("es", "no me manden más cosas para el bebé"),
        ("pt_BR", "não"),
        ("es", "no"),
    ],
)
def test_words_that_only_contain_a_stop_word_do_not_stop(
    i18n_engine: Engine, locale: str, text: str
) -> None:
    result = i18n_engine.step(mid_plan(locale), text, NOW)
    assert result.session.status == "active"
    assert not any(isinstance(e, OptedOut) for e in result.events)


@pytest.mark.parametrize("locale", ["en", "es", "pt_BR"])
def test_what_the_conversation_reads_as_a_crisis_passes_the_flood_guard(
    i18n_engine: Engine, locale: str
) -> None:
    """Engine.is_crisis (the flood guard's reading, before the parent's language is known)
    holds every text the conversation would meet as a crisis in that language: the labelled
    set, crisis and ordinary texts alike."""
    labelled = yaml.safe_load((CORPORA / "crisis" / f"{locale}.yaml").read_text())
    lists = [listed for listed in labelled.values() if isinstance(listed, list)]
    texts = [t for listed in lists for t in listed if isinstance(t, str)]
    assert len(texts) > 300
    readings = {t: i18n_engine.crisis_reading(t, locale) for t in texts}
    met = [t for t, found in readings.items() if found and found.concern != "relapse"]
    assert met
    assert [t for t in met if not i18n_engine.is_crisis(t)] == []
