"""When crisis words are there but no one is in danger now, and when weak signs add up.

The detector (bot/engine/crisis.py) asks `Frames.excused` of every match: a negation just
before ("not going to hurt myself"; not one that tells a surprise, "never thought he
would"), a what-if for an emergency ("in case someone overdoses"), a show or the news earlier
in the sentence, a quoted threat in a text marked as a joke, a past long ago that the text
does not bring back to now, (an emergency only) a person the text then says came through it
("... hes ok now"), or (a relapse only) an urge the text then turns away ("... but i deleted
his number"). The model still reads what is excused.
`Frames.two_signs` turns two different weak signs of one concern into a finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.engine.crisis_lexicon import BOUNDARY, Concern, Lexicon, fold_words, marker_regex

QUOTE = '"'
# A negation word inside a phrase that is also an everyday word there: Portuguese "no" is "in
# the" ("bati no meu filho"); only as the phrase's first word does it make it a negative state.
_NOT_ALWAYS_NEGATION = frozenset({"no"})


@dataclass(frozen=True, slots=True)
class Frames:
    """Every language's negations and frame markers, merged (a text may mix languages)."""

    # Every language's; the detector passes those of the languages a text is written in.
    negations: frozenset[str]
    # Words that may stand between a negation and the phrase ("not GOING TO hurt myself").
    gap: frozenset[str]
    hypothetical: re.Pattern[str] | None
    history: re.Pattern[str] | None
    present: re.Pattern[str] | None
    reported: re.Pattern[str] | None
    joking: re.Pattern[str] | None
    reported_anywhere: re.Pattern[str] | None = None
    resolved: re.Pattern[str] | None = None
    recovered: re.Pattern[str] | None = None
    unsure: frozenset[str] = frozenset()
    setback: re.Pattern[str] | None = None
    averted: re.Pattern[str] | None = None
    now: re.Pattern[str] | None = None
    still_used: re.Pattern[str] | None = None
    urge: re.Pattern[str] | None = None
    what_if_use: re.Pattern[str] | None = None
    habitual_past: re.Pattern[str] | None = None
    surprise: re.Pattern[str] | None = None

    def excused(
        self,
        concern: Concern,
        joined: str,
        start: int,
        end: int,
        laughing: bool = False,
        negations: frozenset[str] | None = None,
    ) -> bool:
        """Negated, a what-if, long ago, told of others, or laughed off: the phrase is there
        but no one is in danger now. `negations` are those of the languages the text is
        written in (every language's, if not given)."""
        negations = self.negations if negations is None else negations
        # A text that laughs ("lol", "jaja", "kkk") and never says it is serious tells an idiom
        # or a joke ("this kid beat me up from the inside lol"): the caller decides `laughing`.
        # A relapse is not laughed off ("kkk to bebada de novo").
        if laughing and concern != "relapse":
            return True
        before = joined[:start].split()
        clause_start = len(before) - before[::-1].index(BOUNDARY) if BOUNDARY in before else 0
        lead = before[clause_start:]
        # A phrase that is itself a negative state ("not breathing", "no respira", "will not
        # wake") is not undone by a "no" before it: "no he is not breathing" answers no.
        said = joined[start:end].split()
        negative = said[0] in negations or any(
            w in negations and w not in _NOT_ALWAYS_NEGATION for w in said[1:]
        )
        # Nor is a negation that tells a surprise: "i never thought he would hit me" tells a blow.
        surprised = self.surprise is not None and bool(
            self.surprise.search(" " + " ".join([*lead[-6:], said[0]]) + " ")
        )
        for word in () if negative or surprised else reversed(lead[-5:]):
            if word in negations:
                return True
            if word not in self.gap:
                break
        # This clause's rest, the next clause, and the rest of the text.
        rest = joined[end - 1 :].split(f" {BOUNDARY} ", 2)
        after = rest[0]
        next_words = rest[1].split() if len(rest) > 1 else []
        # Asked and answered no: the next clause is only a negation ("... hacerme dano: no,
        # nunca", "volvi a fumar? no").
        if next_words and negations.issuperset(next_words):
            return True
        clause = " " + " ".join(lead) + " " + joined[start:end].strip() + " " + after + " "
        # Told as happening now in its own clause ("he hit me last night").
        told_now = self.now is not None and bool(self.now.search(clause))
        if (
            concern == "emergency"
            and self.hypothetical
            and self.hypothetical.search(" " + " ".join(lead) + " ")
        ):
            return True
        # The sentence up to the harm: a report marker that starts before the phrase counts,
        # even when the phrase takes it in ("el numero de violencia domestica"); one that
        # starts inside the phrase does not ("he posted a video of him hitting me", "ele gravou
        # um video me batendo": how the harm was shown, not a story of someone else).
        cut = joined.rfind(f" {BOUNDARY} ", 0, start)
        sentence_start = cut + 3 if cut >= 0 else 0
        sentence = joined[sentence_start:start]
        if self.reported is not None:
            told = self.reported.search(" " + joined[sentence_start:end] + " ")
            if told and told.start() < start - sentence_start + 1:
                return True
        if self.reported_anywhere is not None and self.reported_anywhere.search(
            " " + sentence + " " + joined[start:end] + after + " "
        ):
            return True
        if (
            concern == "violence"
            and self.joking is not None
            and joined[:start].count(QUOTE) % 2 == 1
            and self.joking.search(joined)
        ):
            return True
        if (
            concern == "relapse"
            and self.averted is not None
            and self.urge is not None
            and self.urge.search(" " + " ".join(lead[-4:]) + " " + joined[start:end].strip() + " ")
        ):
            # An urge (never a use told as done), even one dated now ("i thought about using
            # today but i didnt"), turned away in its own clause or the next ("i almost texted
            # my dealer but i deleted his number"; not "i relapsed. i deleted his number
            # after"), unless the text says it was used anyway.
            window = f" {joined[start:end].strip()} {after} {BOUNDARY} {' '.join(next_words)} "
            if self.averted.search(window + f"{BOUNDARY} ") and not (
                self.still_used is not None and self.still_used.search(" " + joined[end:] + " ")
            ):
                return True
        if concern == "relapse" and not told_now and self._what_if_use(joined, lead, start, end):
            return True
        if concern == "emergency" and self._came_through(joined, start, end):
            return True
        if concern == "baby":
            # A child's harm is never excused as long ago, only as over and safe now.
            return (
                self.resolved is not None
                and bool(self.resolved.search(" " + joined[start:] + " "))
                and not (
                    self.present is not None and self.present.search(" " + joined[start:] + " ")
                )
            )
        # The past may be dated in the clause or the one after ("me pegaba, hace 4 anos"), or
        # said to be over anywhere after ("... but hes been sober since").
        # A past dated in the next clause only is another time when this clause says now ("ele
        # me bateu ontem, ha 2 anos ele fez isso tambem").
        # A past that lasted ("me pegaba") is a past only where the clause does not say now
        # ("la niña vio como su papa me golpeaba anoche").
        if (
            not (
                self.history is not None
                and (
                    self.history.search(clause)
                    or (not told_now and self.history.search(" " + " ".join(next_words) + " "))
                )
            )
            and not (
                self.habitual_past is not None
                and not told_now
                and self.habitual_past.search(clause)
            )
            and not (self.resolved is not None and self.resolved.search(" " + joined[start:] + " "))
        ):
            return False
        # Long ago, unless the text brings it back to now: the rest of the text counts, and the
        # clause's lead ("hace 3 meses que me pega": for three months, and still).
        return self.present is None or not self.present.search(
            " " + " ".join(lead) + " " + joined[start:] + " "
        )

    def _what_if_use(self, joined: str, lead: list[str], start: int, end: int) -> bool:
        """A use asked or planned ahead: a what-if marker in the clause ends at most two words
        before the phrase ("WHAT ID DO IF I relapsed", "IF I EVER start using again"),
        no word of `unsure` in the two before it ("idk if i relapsed", "sei la se eu recai"),
        and nothing later in the text says now ("... well now i know, i did last night")."""
        if self.what_if_use is None or (
            self.now is not None and self.now.search(" " + joined[end - 1 :])
        ):
            return False
        lead_text = " " + " ".join(lead)
        window = lead_text + " " + joined[start:end].strip() + " "
        for found in self.what_if_use.finditer(window):
            before = lead_text[: found.start()].split()
            if (
                found.start() < len(lead_text)
                and len(window[found.end() - 1 : len(lead_text)].split()) <= 2
                and self.unsure.isdisjoint(before[-2:])
            ):
                return True
        return False

    def _came_through(self, joined: str, start: int, end: int) -> bool:
        """After the emergency, the text says the person came through it ("... he is ok now",
        "ya esta bien", "a pediatra disse que e normal"), not as a hope or a question ("i hope
        he is ok", "no se si esta bien"), nothing brings it back to now ("... again"), and
        nothing after the marker takes it back ("he came to but now hes going back out")."""
        if self.recovered is None:
            return False
        # A marker may end with the clause ("ya esta bien |": not "esta bien dormida").
        tail = f" {joined[end - 1 :]} {BOUNDARY} "
        if self.present is not None and self.present.search(" " + joined[start:] + " "):
            return False
        return any(
            self.unsure.isdisjoint(tail[: found.start() + 1].split()[-3:])
            and not (self.setback is not None and self.setback.search(tail, found.end() - 1))
            for found in self.recovered.finditer(tail)
        )

    def two_signs(
        self,
        signs: list[tuple[Concern, int, int]],
        ordinary: list[tuple[int, int]],
        joined: str,
        laughing: bool = False,
        negations: frozenset[str] | None = None,
    ) -> list[tuple[Concern, int, int]]:
        """Two different signs of one concern, apart and neither excused, make a finding."""
        seen: dict[Concern, dict[str, tuple[int, int]]] = {}
        for concern, start, end in sorted(signs, key=lambda f: (f[1], f[1] - f[2])):
            spans = seen.setdefault(concern, {})
            if any(s < end and start < e for s, e in [*ordinary, *spans.values()]):
                continue
            if not self.excused(concern, joined, start, end, laughing, negations):
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


def frames_of(
    lexicons: Sequence[Lexicon], negations: frozenset[str], gap: frozenset[str]
) -> Frames:
    """Every language's frame markers merged into one `Frames` (a text may mix languages)."""

    def merged(pick: Callable[[Lexicon], list[str]]) -> re.Pattern[str] | None:
        return marker_regex(w for lex in lexicons for w in pick(lex))

    return Frames(
        negations=negations,
        gap=gap,
        hypothetical=merged(lambda lex: lex.hypothetical),
        history=merged(lambda lex: lex.history),
        present=merged(lambda lex: lex.present),
        reported=merged(lambda lex: lex.reported),
        joking=merged(lambda lex: lex.joking),
        reported_anywhere=merged(lambda lex: lex.reported_anywhere),
        resolved=merged(lambda lex: lex.resolved),
        recovered=merged(lambda lex: lex.recovered),
        unsure=frozenset(w for lex in lexicons for m in lex.unsure for w in fold_words(m)),
        setback=merged(lambda lex: lex.setback),
        averted=merged(lambda lex: lex.averted),
        now=merged(lambda lex: lex.now),
        still_used=merged(lambda lex: lex.still_used),
        urge=merged(lambda lex: lex.urge),
        what_if_use=merged(lambda lex: lex.what_if_use),
        habitual_past=merged(lambda lex: lex.habitual_past),
        surprise=merged(lambda lex: lex.surprise),
    )
