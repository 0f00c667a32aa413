"""When crisis words are there but no one is in danger now, and when weak signs add up.

The detector (bot/engine/crisis.py) asks `Frames.excused` of every match: a negation just
before ("not going to hurt myself"), a what-if for an emergency ("in case someone
overdoses"), a show or the news earlier in the sentence, a quoted threat in a text marked as
a joke, or a past long ago that the text does not bring back to now. `Frames.two_signs` turns
two different weak signs of one concern into a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.crisis_lexicon import BOUNDARY, Concern

QUOTE = '"'


@dataclass(frozen=True, slots=True)
class Frames:
    """Every language's negations and frame markers, merged (a text may mix languages)."""

    negations: frozenset[str]
    # Words that may stand between a negation and the phrase ("not GOING TO hurt myself").
    gap: frozenset[str]
    hypothetical: re.Pattern[str] | None
    history: re.Pattern[str] | None
    present: re.Pattern[str] | None
    reported: re.Pattern[str] | None
    joking: re.Pattern[str] | None

    def excused(self, concern: Concern, joined: str, start: int, end: int) -> bool:
        """Negated, a what-if, or long ago: the phrase is there but no one is in danger now."""
        before = joined[:start].split()
        clause_start = len(before) - before[::-1].index(BOUNDARY) if BOUNDARY in before else 0
        lead = before[clause_start:]
        for word in reversed(lead[-5:]):
            if word in self.negations:
                return True
            if word not in self.gap:
                break
        after = joined[end - 1 :].split(f" {BOUNDARY} ", 1)[0]
        clause = " " + " ".join(lead) + " " + joined[start:end].strip() + " " + after + " "
        if (
            concern == "emergency"
            and self.hypothetical
            and self.hypothetical.search(" " + " ".join(lead) + " ")
        ):
            return True
        sentence = joined[:start].rsplit(" | ", 1)[-1]
        if self.reported is not None and self.reported.search(" " + sentence + " "):
            return True
        if (
            concern == "violence"
            and self.joking is not None
            and joined[:start].count(QUOTE) % 2 == 1
            and self.joking.search(joined)
        ):
            return True
        if concern == "baby" or self.history is None or not self.history.search(clause):
            return False
        # Long ago, unless the text brings it back to now: the rest of the text counts.
        return self.present is None or not self.present.search(" " + joined[start:] + " ")

    def two_signs(
        self,
        signs: list[tuple[Concern, int, int]],
        ordinary: list[tuple[int, int]],
        joined: str,
    ) -> list[tuple[Concern, int, int]]:
        """Two different signs of one concern, apart and neither excused, make a finding."""
        seen: dict[Concern, dict[str, tuple[int, int]]] = {}
        for concern, start, end in sorted(signs, key=lambda f: (f[1], f[1] - f[2])):
            spans = seen.setdefault(concern, {})
            if any(s < end and start < e for s, e in [*ordinary, *spans.values()]):
                continue
            if not self.excused(concern, joined, start, end):
                spans.setdefault(joined[start:end].strip(), (start, end))
        return [
            (c, min(s for s, _ in spans.values()), max(e for _, e in spans.values()))
            for c, spans in seen.items()
            if len(spans) > 1
        ]


def overlapping_runs(
    found: list[tuple[Concern, int, int, int]],
) -> list[list[tuple[Concern, int, int, int]]]:
    """Matches in runs that overlap one another: one reading per run ("mi ex me está
    amenazando" + "amenazando con matarme" + "matarme" is one threat, not a threat and a
    wish to die)."""
    groups: list[list[tuple[Concern, int, int, int]]] = []
    reach = -1
    for match in sorted(found, key=lambda f: f[1]):
        if groups and match[1] < reach:
            groups[-1].append(match)
        else:
            groups.append([match])
        reach = max(reach, match[2]) if len(groups[-1]) > 1 else match[2]
    return groups
