"""Turn flow steps and answers into the texts a parent reads, in their language."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import phonenumbers

from bot.engine import messages as m
from bot.engine.model import Flow, Step
from bot.engine.segments import encoding, segment_count
from bot.engine.texts import Translator

# A text may take two SMS segments at most; a UCS-2 text (Spanish or Portuguese accents)
# four, the same room in characters (see README, "Text budgets").
SEGMENT_BUDGET = 2
UCS2_SEGMENT_BUDGET = 4
# What one turn's texts may cost together and still go as one message (a phone shows a long
# SMS as one text; joining never costs more segments than sending the parts one by one).
TURN_SEGMENT_BUDGET = 4
UCS2_TURN_SEGMENT_BUDGET = 9


@dataclass(frozen=True, slots=True)
class Voice:
    """Translates and fills in texts for one parent: their locale, name and the program's names."""

    translator: Translator
    locale: str
    program: str
    plan: str
    name: str

    def __call__(self, message: str, **values: Any) -> str:
        text = self.translator.gettext(self.locale, message)
        if "{" not in text:
            return text
        # The plan's name is a setting, translated when the catalogs know it.
        plan = self.translator.gettext(self.locale, self.plan)
        return text.format(program=self.program, plan=plan, name=self.name, **values)

    def question(self, step: Step, *, discreet: bool = False) -> str:
        """The question and its numbered choices. `discreet` (a shared phone, in the part
        that asks who may see what): the step's shared-phone ask, and a choice whose label
        names treatment or recovery by its number ("3. Care team member 3")."""
        lines = [self(step.text("ask", discreet=discreet) or step.ask)]
        labels = self.labels(step)
        if discreet:
            labels = tuple(self.choice(step, c.value, discreet=True) for c in step.choices)
        lines += [f"{i}. {label}" for i, label in enumerate(labels, 1)]
        if step.type == "multi":
            lines.append(self(m.PICK_MANY))
        return "\n".join(lines)

    def choice(self, step: Step, value: str, *, discreet: bool = False) -> str:
        """A choice by its label; `discreet`: its shared-phone label, or a sensitive one by
        its number in the step."""
        for number, choice in enumerate(step.choices, 1):
            if choice.value == value:
                if discreet and choice.shared_label:
                    return self(choice.shared_label)
                if discreet and choice.sensitive:
                    return self(m.TEAM_MEMBER_NUMBER, number=number)
                return self(choice.label)
        return value

    def labels(self, step: Step) -> tuple[str, ...]:
        """The step's choice labels in this locale (labels take no placeholders)."""
        return _labels(self.translator, self.locale, step)

    def answer(self, step: Step, value: Any) -> str:
        """An answer as the parent would read it back."""
        if value is None:
            return self(m.ANSWER_SKIPPED)
        if step.private:
            return self(m.ANSWER_PRIVATE)
        if step.type == "yes_no":
            return self(m.ANSWER_YES if value else m.ANSWER_NO)
        if step.type == "choice":
            return self._label(step, value)
        if step.type == "multi":
            return ", ".join(self._label(step, v) for v in value)
        if step.type == "date":
            return self.translator.format_date(self.locale, date.fromisoformat(value))
        if step.type == "time":
            return self.translator.format_time(self.locale, time.fromisoformat(value))
        if step.type == "phone":
            number = phonenumbers.parse(value, "US")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return str(value)

    def _label(self, step: Step, value: str) -> str:
        choice = next((c for c in step.choices if c.value == value), None)
        return self(choice.label) if choice else value

    def readback(
        self, flow: Flow, steps: list[Step], answers: dict[str, Any], *, discreet: bool = False
    ) -> list[str]:
        """A numbered read-back, split into texts that each fit the segment budget.

        `discreet` (shared-phone mode): a sensitive answer shows only its number, and a
        sensitive part only its number, so a number still picks the answer to change."""
        hidden = discreet and flow.sensitive
        title = self(m.PART_NUMBER, number=flow.number) if hidden else self(flow.title)
        kept = {s.id for s in steps if discreet and (hidden or s.discreet(answers.get(s.id)))}
        lines = [self(m.READBACK_HEADER, title=title)]
        run: list[int] = []  # numbers of hidden answers in a row: one line for them all
        for i, s in enumerate([*steps, None], 1):
            if s is not None and s.id in kept:
                run.append(i)
                continue
            if len(run) == 1:
                lines.append(self(m.READBACK_ITEM_HIDDEN, number=run[0]))
            elif run:
                lines.append(self(m.READBACK_ITEMS_HIDDEN, first=run[0], last=run[-1]))
            run = []
            if s is not None:
                answer = self.answer(s, answers.get(s.id))
                lines.append(self(m.READBACK_ITEM, number=i, label=self(s.label), answer=answer))
        if kept:
            lines.append(self(m.SEE_PRIVATE))
        return list(pack(lines))


# Per translator (gone with it), by locale and source labels: a few hundred entries at most.
_LABELS: weakref.WeakKeyDictionary[Translator, dict[tuple[str, tuple[str, ...]], tuple[str, ...]]]
_LABELS = weakref.WeakKeyDictionary()


def _labels(translator: Translator, locale: str, step: Step) -> tuple[str, ...]:
    cache = _LABELS.setdefault(translator, {})
    key = (locale, step.label_ids)
    labels = cache.get(key)
    if labels is None:
        labels = cache[key] = tuple(translator.gettext(locale, msg) for msg in step.label_ids)
    return labels


def fits(text: str) -> bool:
    budget = SEGMENT_BUDGET if encoding(text) == "GSM-7" else UCS2_SEGMENT_BUDGET
    return segment_count(text) <= budget


def pack(lines: list[str]) -> Iterator[str]:
    """Join lines into as few texts as fit one text's budget; a line too long alone goes alone."""
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if current and not fits(candidate):
            yield current
            current = line
        else:
            current = candidate
    if current:
        yield current


def join_turn(texts: list[str]) -> list[str]:
    """One turn's texts as one message where they fit what one turn may send together
    (4 GSM-7 segments, 9 UCS-2). A Spanish line with no accent joined to one with accents
    goes as UCS-2 and may cost a segment or two more over SMS; one message a turn is worth
    it, and SMS_PLAIN_LETTERS takes the cost away (README, "Text budgets")."""
    joined: list[str] = []
    current = ""
    for text in texts:
        if current:
            candidate = f"{current}\n{text}"
            gsm = encoding(candidate) == "GSM-7"
            limit = TURN_SEGMENT_BUDGET if gsm else UCS2_TURN_SEGMENT_BUDGET
            if segment_count(candidate) <= limit:
                current = candidate
                continue
            joined.append(current)
        current = text
    if current:
        joined.append(current)
    return joined
