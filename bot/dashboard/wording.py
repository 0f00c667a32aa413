"""A section's answers in plain words: in English for the team, in the parent's language for
the printed plan. Only the answers the reader may see (plan_view.shown_answers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.careteam.payload import answer_text
from bot.careteam.plan_view import VisibleSection, shown_answers
from bot.engine.model import Step
from bot.engine.render import Voice


@dataclass(frozen=True, slots=True)
class Line:
    question: str
    answer: str
    # Free text: what the parent typed, shown as typed (and marked as theirs).
    own_words: bool = False
    private: bool = False


def _own(step: Step, value: Any) -> bool:
    return step.type == "text" and value is not None


def english_lines(section: VisibleSection) -> list[Line]:
    return [
        Line(step.label, answer_text(step, value), _own(step, value), step.private)
        for step, value in shown_answers(section)
    ]


def local_lines(section: VisibleSection, voice: Voice) -> list[Line]:
    """The same answers as the parent reads them back, in their language."""
    lines = []
    for step, value in shown_answers(section):
        # The voice never repeats a private answer (it might be read on a shared phone);
        # on paper for a reader consented to see it, it is the answer itself.
        shown = step.model_copy(update={"private": False}) if step.private else step
        lines.append(Line(voice(step.label), voice.answer(shown, value), _own(step, value)))
    return lines
