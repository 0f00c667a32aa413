"""A plan answered in Spanish or Portuguese is the same plan: neutral values, no English leaks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine.events import SectionCompleted
from bot.engine.machine import Engine
from tests.transcripts.runner import play

SHIPPED = Path(__file__).resolve().parents[1] / "transcripts" / "shipped"


def sections(engine: Engine, name: str) -> dict[str, dict[str, object]]:
    transcript = yaml.safe_load((SHIPPED / name).read_text(encoding="utf-8"))
    results, _ = play(engine, transcript)
    return {
        e.section: {a.key: a.value for a in e.answers if a.type != "text"}
        for r in results
        for e in r.event_objects
        if isinstance(e, SectionCompleted)
    }


@pytest.mark.parametrize("name", ["es_full_plan.yaml", "pt_BR_full_plan.yaml"])
def test_a_plan_answered_in_another_language_stores_the_same_values(
    name: str, i18n_engine: Engine
) -> None:
    """The same choices give the same language-neutral values in every language."""
    english = sections(i18n_engine, "full_plan.yaml")
    other = sections(i18n_engine, name)
    assert set(other) == set(english)
    assert other == english


@pytest.mark.parametrize(
    ("name", "locale"), [("es_full_plan.yaml", "es"), ("pt_BR_full_plan.yaml", "pt_BR")]
)
def test_no_english_question_leaks_into_another_language(
    name: str, locale: str, i18n_engine: Engine
) -> None:
    """Every question a Spanish or Portuguese parent gets is in their language."""
    transcript = yaml.safe_load((SHIPPED / name).read_text(encoding="utf-8"))
    results, session = play(i18n_engine, transcript)
    assert session.locale == locale
    english_asks = {
        step.ask.split("{")[0][:40]
        for flow in i18n_engine.flows.flows.values()
        for step in flow.steps
        if len(step.ask.split("{")[0]) >= 25
    }
    leaks = [ask for r in results for reply in r.replies for ask in english_asks if ask in reply]
    assert not leaks
