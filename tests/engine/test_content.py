"""Every text a parent can get fits 2 SMS segments, reads plainly and uses kind words."""

from __future__ import annotations

import re
import statistics
import string
from datetime import date, time
from pathlib import Path

import pytest
import yaml

from bot.engine import messages
from bot.engine.events import SectionCompleted
from bot.engine.keywords import REMINDER_REPLIES, fold
from bot.engine.machine import Engine
from bot.engine.render import SEGMENT_BUDGET, Voice
from bot.engine.segments import segment_count
from bot.engine.session import Session
from tests.readability import grade
from tests.transcripts.runner import play

# Long but realistic values for the placeholders, so budgets hold for real parents.
FILL = {
    "program": "Safe Start",
    "plan": "Plan of Safe Care",
    "name": "Alexandra Maria",
    "name_part": ", Alexandra Maria",
    "done": 8,
    "total": 8,
    "number": 14,
    "minimum": 0,
    "maximum": 15,
    "max_length": 300,
    "title": "Recovery and emotional health",
    "label": "Watching for withdrawal",
    "answer": "Baby may need extra watching",
    "need": "a safe place for baby to sleep",
    "status": "your team is on it",
    "who": "Peer recovery specialist",
    "parts": "Basic needs, Health for you, Birth and going home, Baby's health and growth",
    "organizations": "Hartford Hope Family Services, Riverside Recovery Center",
    "intermediary": "Safe Start program office",
    "operator": "Connecticut Safe Start Pilot",
    "date": "Wednesday, December 23, 2026",
    "count": 10,
    "part": "Birth and going home",
    "month": 12,
    "day": 23,
    "year": 2026,
    "first": 12,
    "last": 14,
    "choices": "2 (Yes, with the support they need) or 3 (Yes, without the support they need)",
    "time": "12:45 PM",
    "start": "10:00 PM",
    "end": "10:00 AM",
    "when": "on Wed, Dec 23 around 12:45 PM",
    "earlier": "on Tue, Dec 22 around 10:00 AM",
    "later": "on Wed, Dec 23 around 12:45 PM",
    "every": "every Wednesday around 12:45 PM",
    "starting": "starting Tue, Dec 22",
}
# Words that judge or frighten (domain.md "Words to use"), and any hint that answers go to
# child protective services or that this is a child-protection safety plan.
FORBIDDEN = re.compile(
    r"\b(addicts?|addicted|abuser?s?|abusing|clean|dirty|junkies?|substance abuse|cps|dcf|"
    r"child protective|protective services|safety plan)\b",
    re.IGNORECASE,
)
# Flesch-Kincaid budget: the median text at 6th grade, none past 10th. A few unavoidable
# words ("42 CFR Part 2", "Medicaid", "early intervention") push single texts above 6.
MEDIAN_GRADE, MAX_GRADE = 6.0, 10.0


def engine_messages() -> dict[str, str]:
    """Every engine text, the need names and statuses included."""
    texts = {
        n: v for n in dir(messages) if n.isupper() and isinstance(v := getattr(messages, n), str)
    }
    for table in ("NEED_LABELS", "NEED_STATUS"):
        texts.update({f"{table}.{k}": v for k, v in getattr(messages, table).items()})
    texts.update({f"EVERY_WEEKDAY.{i}": v for i, v in enumerate(messages.EVERY_WEEKDAY)})
    return texts


def fill(text: str) -> str:
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    return text.format(**{n: FILL[n] for n in names})


def flow_texts(engine: Engine) -> dict[str, str]:
    """Every flow text as sent: questions rendered with their numbered choices."""
    voice = Voice(engine.translator, "en", FILL["program"], FILL["plan"], FILL["name"])
    texts: dict[str, str] = {}
    for flow in engine.flows.flows.values():
        texts[f"{flow.id}.title"] = voice(flow.title)
        texts[f"{flow.id}.done"] = voice(flow.done)
        if flow.intro:
            texts[f"{flow.id}.intro"] = voice(flow.intro)
        for step in flow.steps:
            texts[f"{flow.id}.{step.id}"] = voice.question(step)
            for extra in ("hint", "example"):
                if getattr(step, extra):
                    texts[f"{flow.id}.{step.id}.{extra}"] = voice(getattr(step, extra))
    return texts


def test_every_flow_text_fits_its_segment_budget(shipped_engine: Engine) -> None:
    """Each question, with its choices, goes out as one text of at most 2 segments."""
    over = {
        key: segment_count(text)
        for key, text in flow_texts(shipped_engine).items()
        if segment_count(text) > SEGMENT_BUDGET
    }
    assert not over, f"texts over {SEGMENT_BUDGET} segments: {over}"


@pytest.mark.parametrize("name", sorted(engine_messages()))
def test_every_engine_text_fits_its_segment_budget(name: str) -> None:
    """System texts (help, stop, crisis, read-back parts) fit 2 segments, placeholders filled."""
    assert segment_count(fill(engine_messages()[name])) <= SEGMENT_BUDGET


def test_no_text_judges_or_mentions_child_protection(shipped_engine: Engine) -> None:
    """No text uses stigmatizing words or suggests answers go to child protective services."""
    texts = {**flow_texts(shipped_engine), **engine_messages()}
    for flow in shipped_engine.flows.flows.values():
        for step in flow.steps:
            texts.update({f"{flow.id}.{step.id}.{c.value}": c.label for c in step.choices})
    # The one sentence that names child protective services says answers never go there.
    assert "do not go to child protective services" in texts.pop("SUPPORT_NOT_REPORT")
    bad = {key: text for key, text in texts.items() if FORBIDDEN.search(text)}
    assert not bad


def test_texts_are_plain_enough_to_read(shipped_engine: Engine) -> None:
    """Readability: the median question reads at 6th grade or below, none above 10th."""
    voice = Voice(shipped_engine.translator, "en", FILL["program"], FILL["plan"], FILL["name"])
    grades = {
        f"{f.id}.{s.id}": grade(voice(s.ask))
        for f in shipped_engine.flows.flows.values()
        for s in f.steps
    }
    grades.update({n: grade(fill(t)) for n, t in engine_messages().items() if len(t.split()) > 6})
    assert statistics.median(grades.values()) <= MEDIAN_GRADE
    hard = {k: round(g, 1) for k, g in grades.items() if g > MAX_GRADE}
    assert not hard, f"above grade {MAX_GRADE}: {hard}"


def test_menu_fits_in_every_state(shipped_engine: Engine) -> None:
    """The menu stays within budget whether no part or every part is done."""
    session = Session(status="active", mode="menu")
    voice = Voice(shipped_engine.translator, "en", FILL["program"], FILL["plan"], FILL["name"])
    for flow in [None, *shipped_engine.flows.sections]:
        if flow is not None:
            session.plan.completed_at[flow.id] = "2026-11-23T15:00:00+00:00"
        texts = shipped_engine._menu_texts(session, voice)
        assert len(texts) == 1
        assert segment_count(texts[0]) <= SEGMENT_BUDGET


def test_whole_plan_emits_every_section_with_typed_answers(i18n_engine: Engine) -> None:
    """Finishing the plan emits SectionCompleted for all eight sections, answers typed."""
    path = Path(__file__).resolve().parents[1] / "transcripts" / "shipped" / "full_plan.yaml"
    results, session = play(i18n_engine, yaml.safe_load(path.read_text(encoding="utf-8")))
    completed = [e for r in results for e in r.event_objects if isinstance(e, SectionCompleted)]
    assert [e.section for e in completed] == [f.id for f in i18n_engine.flows.sections]
    python_types = {
        "yes_no": bool,
        "choice": str,
        "multi": list,
        "date": date,
        "time": time,
        "phone": str,
        "zip": str,
        "number": int,
        "text": str,
    }
    for event in completed:
        flow = i18n_engine.flows[event.section]
        assert event.version == 1
        assert event.answers
        for record in event.answers:
            assert record.question == flow.step(record.key).ask
            assert record.skipped or isinstance(record.value, python_types[record.type])
    assert session.plan.answers["onboarding"]["zip"] == "06103"
    assert session.timezone == "America/New_York"


def test_no_choice_is_swallowed_by_a_command(i18n_engine: Engine) -> None:
    """A choice's label or synonym, in any language, never folds to a command word.

    Commands are checked before answers, so such a choice could never be picked by name.
    START counts only while opted out, C / R / RIDE only while a reminder waits, and HERE
    only while a shared phone's private question waits ("here" says the baby is born).
    """
    conditional = {"start", "here", *REMINDER_REPLIES}
    table = i18n_engine.keywords
    translator = i18n_engine.translator
    clashes = []
    for flow in i18n_engine.flows.flows.values():
        for step in flow.steps:
            for choice in step.choices:
                words = list(choice.synonyms)
                words += [translator.gettext(loc, choice.label) for loc in translator.locales]
                for word in words:
                    match = table.command(fold(word))
                    if match is not None and match.command not in conditional:
                        clashes.append((flow.id, step.id, word, match.command))
    assert not clashes
