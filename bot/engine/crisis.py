"""Crisis and relapse words as people text them: per-language phrase data, matched fast.

Each language keeps its own `locales/<lang>/crisis.yaml` (English: `locales/en/crisis.yaml`):
spellings and slang folded to one form ("kms" -> "kill myself", "over dosed" -> "overdosed"),
word groups ("@partner"), and phrases per concern. A text is folded (lower case, no accents,
no apostrophes, "sooo" -> "soo"), each word is mapped through the spellings, and a word that
is one typo from a word of the phrases is read as that word, in any letter ("sucide",
"overdoze", "hsuband": bot/engine/crisis_typos.py). Before that, an
unknown word is tried through the language's `rewrites` (letter rules a class of misspellings
share: "kiero" -> "quiero", "chokin" -> "choking"); a rewrite counts only when it makes a word
the lists know. Spellings, rewrites and typo targets are each language's own, and a text gets
those of the languages it reads as ("toy" is Spanish "estoy" only in a Spanish text:
bot/engine/crisis_spelling.py). Then the phrases are matched, except where:

- a negation comes just before, with only "going to" and such between ("he didn't hit me");
- an `ordinary` phrase covers the match ("killing it", "me muero de risa");
- for an emergency, the clause is a what-if ("in case someone overdoses");
- the sentence tells of a show or the news before the phrase ("the movie was about a girl
  who overdosed", "vi no jornal que ...": `reported`);
- a threat stands inside quotation marks in a text that marks a joke ('my mom said "i'll
  kill you" as a joke': `joking`); never a text about the sender's own safety;
- the clause tells of the past long ago ("I overdosed 2 years ago"), unless the text brings
  it back to now ("... last year and I feel that way again");
- for an emergency, the text then says the person came through it (`recovered`: "... hes ok
  now"), not as a hope (`unsure`: "i hope hes ok") nor taken back after (`setback`);
- for a relapse, the text then turns the urge away ("... but i deleted his number": `averted`),
  unless it then says the use came anyway ("... i used what i had": `still_used`).
A report marker counts only where it starts before the phrase ("he posted a video of him
hitting me" is no story), a past dated in the next clause does not excuse a clause told as now
("he hit me last night, 2 years ago he did it too": `now`), and a lasting past ("hace 3 meses
que me pega") is brought back to now by `present`.

Phrase syntax: words separated by spaces; `a/b` one of these words; `@group` any entry of a
group (`@group/word` either); `stem*` (a stem of four letters or more) any word that starts
so, so one entry covers a verb's forms ("golpe*": golpeo, golpeaba, golpearon); a trailing
`?` makes a word optional; `*` is any one word (never a negation); `!a/@group` any one word
but these (`!....a/@group`: none of these in the rest of the clause); `<n>` a number (`<nn>`
two digits or more); `...` up to four words (`....` up to eight, for class lines whose parts
stand apart: "@weapon .... on me"); `$` the end of the clause ("want to end it $"). Broad
category phrases ("@abuser ... @hitstem me") carry over to new wording better than one phrase
per text. `a_b/c` is "a b" or "c" (one slot, several words).

Beside the phrases each language has a reader: word classes in CAPITALS (AGENT, HARM, ME,
CHILD, HARMCHILD, WANT, FEAR, DIE, METHOD, USEDPAST, DRUG, LOTS, MED, BODYSIGN...) and
`reader` rules over them per concern ("@AGENT .... @HARM .... @ME": who, what is done, to
whom), so a combination no one wrote down is still read; the same negation, frame and
past checks apply. `signs` are weak cues: two different ones of one concern in a text make
a finding ("slumped" + "needle"). Where matches overlap, a relapse yields to a crisis.
Only prefilter words (not in `common`) start a match attempt, so a text with none of them
costs one set intersection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.engine.crisis_frames import QUOTE, frames_of, overlapping_runs
from bot.engine.crisis_language import language_fixes, vocabulary
from bot.engine.crisis_lexicon import (
    BOUNDARY,
    CONCERNS,
    CRISIS_DIR,
    CRISIS_FILE,
    ONLY_COMMON,
    STEM,
    STEM_MIN,
    Compiler,
    Concern,
    Lexicon,
    commons,
    laughter_regex,
    load_lexicon,
    marker_regex,
    plain,
)
from bot.engine.crisis_spelling import Fixes, LanguageFixes, Languages
from bot.engine.crisis_typos import TypoIndex
from bot.errors import ConfigError

__all__ = [
    "CONCERNS",
    "CRISIS_DIR",
    "CRISIS_FILE",
    "Concern",
    "CrisisDetector",
    "Finding",
    "Lexicon",
    "load_detector",
    "load_lexicon",
    "plain",
]

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.!?;,:\n]+|[\"\u201c\u201d]")
_WORD = re.compile(r"[a-z0-9]+")
_QUOTES = frozenset('"\u201c\u201d')
# A phrase outranks a reader rule where they overlap; signs count only in twos.
_PHRASE, _READ, _SIGN = 3, 2, 1
_FUZZY_CACHE_MAX = 50_000
_REMEMBER_UP_TO = 80


@dataclass(frozen=True, slots=True)
class Finding:
    concern: Concern
    phrase: str  # the folded words that matched


@dataclass(slots=True)
class _Rules:
    """Phrases keyed by a word that must appear for them to match: the prefilter."""

    by_anchor: dict[str, list[tuple[Concern | None, re.Pattern[str], int]]]


class CrisisDetector:
    """Built once from every language's crisis.yaml; `find` is pure and fast."""

    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        self.languages = tuple(lex.language for lex in lexicons)
        # Every language's spellings, to check that two never disagree (a text may read as
        # both); a text gets only its languages' (crisis_spelling).
        spell: dict[str, str] = {}
        multi: dict[str, str] = {}
        fixes: list[LanguageFixes] = []
        common: set[str] = set()
        # Each language's negations; a text gets those of its language (`_negations`).
        self._negations_of = {
            lex.language: frozenset(map(plain, lex.negations)) for lex in lexicons
        }
        gap: set[str] = set()
        groups: dict[str, list[str]] = {}
        for lex in lexicons:
            common.update(map(plain, lex.common))
            gap.update(map(plain, lex.negation_gap))
            for name, words in lex.groups.items():
                groups.setdefault(name, []).extend(words)
            fixes.append(language_fixes(lex, spell, multi))
        by_anchor: dict[str, list[tuple[Concern | None, re.Pattern[str], int]]] = {}
        pending: dict[tuple[str, Concern | None, int], list[str]] = {}
        phrase_words: set[str] = set()
        # Per language: its phrase words (typo targets) and every word its data knows.
        targets: dict[str, set[str]] = {}
        vocabularies: dict[str, set[str]] = {}
        stems: dict[str, set[str]] = {}
        for lex in lexicons:
            own_phrase_words = targets.setdefault(lex.language, set(map(plain, lex.common)))
            # A gap never holds a negation of the phrase's own language (Portuguese "no meu"
            # is "in my", not English "no").
            compiler = Compiler(groups, lex.negations)
            entries: list[tuple[Concern | None, str, int]] = [
                (concern, p, weight)
                for section, weight in ((lex.concerns, _PHRASE), (lex.reader, _READ))
                for concern, ps in section.items()
                for p in ps
            ]
            entries += [(c, p, _SIGN) for c, ps in lex.signs.items() for p in ps]
            entries += [(None, p, _PHRASE) for p in lex.ordinary]
            for concern, phrase, weight in entries:
                where = f"{lex.language}/{CRISIS_FILE} {concern or 'ordinary'}"
                regex, slots = compiler.phrase(phrase, where)
                for words in slots:
                    own_phrase_words.update(
                        w for value in words for w in value.split() if not w.endswith(STEM)
                    )
                # The slot with the fewest common words (then the fewest words) starts it.
                anchor_slot = min(slots, key=lambda s: (commons(s, common), len(s)))
                if commons(anchor_slot, common) == ONLY_COMMON:
                    raise ConfigError(f"{where}: phrase {phrase!r} has only common words")
                for value in anchor_slot:
                    if value.endswith(STEM):
                        stems.setdefault(lex.language, set()).add(value.split()[0][:-1])
                    pending.setdefault((value.split()[0], concern, weight), []).append(regex)
        # One pattern per phrase: in one alternation a short phrase would hide a longer one
        # starting at the same word, and the longest match must be seen.
        for (anchor, concern, weight), regexes in pending.items():
            for regex in dict.fromkeys(regexes):
                by_anchor.setdefault(anchor, []).append((concern, re.compile(regex), weight))
        self._rules = _Rules(by_anchor)
        self._anchors = frozenset(a for a in by_anchor if not a.endswith(STEM))
        # A stem anchor is found word by word: each word's prefixes looked up once, then
        # remembered (texts repeat their words).
        self._stems = frozenset(a[:-1] for a in by_anchor if a.endswith(STEM))
        self._stem_of: dict[str, tuple[str, ...]] = {}
        every_negation = frozenset().union(*self._negations_of.values())
        self._frames = frames_of(lexicons, every_negation, frozenset(gap))
        self._laughter = laughter_regex(w for lex in lexicons for w in lex.laughing)
        self._serious = marker_regex(w for lex in lexicons for w in lex.serious)
        for lex in lexicons:
            phrase_words.update(targets[lex.language])
            vocabularies[lex.language] = set(vocabulary(lex, targets[lex.language]))
        self._known = frozenset(w for words in vocabularies.values() for w in words)
        fixes = [
            replace(
                part,
                known=frozenset(vocabularies[part.language]),
                stems=frozenset(stems.get(part.language, ())),
            )
            for part in fixes
        ]
        # The words of a spelling of several words tell the language too ("papa de mi hijo").
        for part in fixes:
            vocabularies[part.language].update(w for k in part.multi for w in k.split())
        languages_of: dict[str, set[str]] = {}
        for language, own_targets in targets.items():
            for word in own_targets:
                languages_of.setdefault(word, set()).add(language)
        self._typos = TypoIndex(phrase_words, languages_of)
        self._languages = Languages(fixes, vocabularies)
        self._found: dict[str, Finding | None] = {}

    # ---- folding -----------------------------------------------------------------------

    def reading(self, text: str) -> frozenset[str]:
        """The languages whose fixes a text gets (bot/engine/crisis_spelling.py)."""
        return self._languages.reading(_TOKEN.findall(plain(text))).languages

    def own_words(self, language: str) -> frozenset[str]:
        """The words that make a text read as this language."""
        return self._languages.own_words(language)

    def spellings(self, language: str) -> dict[str, str]:
        """One language's spellings, folded: written form -> the form phrases use."""
        return self._languages.spellings(language)

    def _correct(self, word: str, fixes: Fixes) -> str:
        """A word one typo (two in a long word) from a phrase word becomes that word."""
        found = fixes.corrected(word)
        if found is not None:
            return found
        # Each rule alone, then those that applied all in turn ("kwe": "^kw" -> "tou" and
        # "e$" -> "ye").
        applied: list[tuple[re.Pattern[str], str]] = []
        for pattern, replacement in fixes.rewrites:
            rewritten = pattern.sub(replacement, word)
            if rewritten == word:
                continue
            applied.append((pattern, replacement))
            if self._knows(rewritten, fixes):
                return fixes.remember(word, fixes.spell.get(rewritten, rewritten))
        if len(applied) > 1:
            rewritten = word
            for pattern, replacement in applied:
                rewritten = pattern.sub(replacement, rewritten)
            if self._knows(rewritten, fixes):
                return fixes.remember(word, fixes.spell.get(rewritten, rewritten))
        if fixes is self._languages.every:
            return fixes.remember(word, self._typos.nearest(word) or word)
        # Another language's target only where these languages know it too ("overdoses").
        found = self._typos.nearest(word, fixes.languages, fixes.known)
        return fixes.remember(word, found or word)

    def _knows(self, word: str, fixes: Fixes) -> bool:
        """A word the languages of this reading know, or one a stem of theirs starts."""
        meant = fixes.spell.get(word, word)
        return all(
            w in fixes.known or any(a[:-1] in fixes.stems for a in self._stem_anchors(w))
            for w in meant.split()
        )

    def fold(self, text: str) -> list[str]:
        """The words phrases are matched against, with '|' between clauses: spellings, letter
        rules and typos of the languages the text reads as (bot/engine/crisis_spelling.py)."""
        tokens = _TOKEN.findall(plain(text))
        fixes = self._languages.reading(tokens)
        spell = fixes.spell
        out: list[str] = []
        for token in tokens:
            if token in _QUOTES:
                out.append(QUOTE)
                continue
            if not token[0].isalnum():
                out.append(BOUNDARY)
                continue
            meant = spell.get(token)
            if meant is None:
                bare = token.replace("'", "")
                meant = spell.get(bare, bare)
            out.extend(meant.split())
        out = fixes.join(out)
        known = self._known
        folded: list[str] = []
        for w in out:
            if w not in known and w.isalpha() and len(w) > 2:
                folded.extend(self._correct(w, fixes).split())
            else:
                folded.append(w)
        # A corrected word may complete a spelling of several words ("me mtar" -> "me matar").
        return fixes.join(folded) if folded != out else folded

    # ---- matching ----------------------------------------------------------------------

    def find(self, text: str) -> Finding | None:
        """The most urgent concern a text shows, if any."""
        # Most texts are short and repeat ("yes", "2", "10am"): remember their answers.
        if len(text) <= _REMEMBER_UP_TO:
            if text in self._found:
                return self._found[text]
            if len(self._found) >= _FUZZY_CACHE_MAX:
                self._found.clear()
            found = self._find(text)
            self._found[text] = found
            return found
        return self._find(text)

    def _find(self, text: str) -> Finding | None:
        words = self.fold(text[:1000])
        present = set(self._anchors.intersection(words))
        if self._stems:
            for word in words:
                present.update(self._stem_anchors(word))
        if not present:
            return None
        joined = " " + " ".join(words) + " "
        found: list[tuple[Concern, int, int, int]] = []
        signs: list[tuple[Concern, int, int]] = []
        ordinary: list[tuple[int, int]] = []
        for anchor in present:
            for concern, pattern, weight in self._rules.by_anchor[anchor]:
                for match in pattern.finditer(joined):
                    if concern is None:
                        ordinary.append(match.span())
                    elif weight == _SIGN:
                        signs.append((concern, *match.span()))
                    else:
                        found.append((concern, *match.span(), weight))
        # Where phrases overlap, the longest tells what happened: "me amenazó con matarme"
        # is a threat (violence), though "matarme" alone would be about suicide. A phrase
        # outranks a reader rule: it says more exactly what it covers. A relapse yields to any
        # crisis it overlaps ("left my newborn in the car while i used").
        laughing = bool(found or signs) and self._laughs(text[:1000])
        negations = self._negations(words)
        kept: list[tuple[Concern, int, int]] = []
        for group in overlapping_runs(found):
            for concern, start, end, _ in sorted(
                group, key=lambda f: (f[0] == "relapse", f[1] - f[2], -f[3], CONCERNS.index(f[0]))
            ):
                if any(s < end and start < e for s, e in ordinary):
                    continue
                if not self._frames.excused(concern, joined, start, end, laughing, negations):
                    kept.append((concern, start, end))
                    break
        # Weak signs count where no phrase found a crisis: a relapse found does not silence
        # them ("me di un pase ... siento que me voy a desmayar, no puedo respirar").
        if signs and all(concern == "relapse" for concern, _, _ in kept):
            kept += self._frames.two_signs(signs, ordinary, joined, laughing, negations)
        if not kept:
            return None
        concern, start, end = min(kept, key=lambda f: CONCERNS.index(f[0]))
        return Finding(concern, joined[start:end].strip())

    def _negations(self, words: list[str]) -> frozenset[str] | None:
        """The negations of the languages a text is written in: Portuguese "no" is "in the"
        ("fiquei no carro com o motor ligado"). Where no word tells one language alone, or
        several do, every language's (a text may mix them)."""
        alone = self._languages.alone(words)
        if len(alone) != 1:
            return None
        return self._negations_of[next(iter(alone))]

    def _laughs(self, text: str) -> bool:
        """The text laughs ("lol", "jaja", "kkk") and nowhere says it is serious ("for real",
        "no es broma", "socorro"): read on the plain words, before spellings drop "lol"."""
        if self._laughter is None:
            return False
        bare = plain(text)
        if self._laughter.search(bare) is None:
            return False
        words = " " + " ".join(_WORD.findall(bare)) + " "
        return self._serious is None or self._serious.search(words) is None

    def _stem_anchors(self, word: str) -> tuple[str, ...]:
        found = self._stem_of.get(word)
        if found is None:
            found = tuple(
                word[:k] + STEM for k in range(STEM_MIN, len(word) + 1) if word[:k] in self._stems
            )
            if len(self._stem_of) >= _FUZZY_CACHE_MAX:
                self._stem_of.clear()
            self._stem_of[word] = found
        return found


def load_detector(locales_dir: Path, locales: Iterable[str]) -> CrisisDetector:
    """Every language's crisis.yaml; a language without one is a start-up error."""
    lexicons = []
    for locale in dict.fromkeys(["en", *locales]):
        path = locales_dir / locale / CRISIS_FILE
        if not path.is_file():
            raise ConfigError(f"{path}: missing; each language brings its crisis words")
        lexicon = load_lexicon(path)
        if lexicon.language != locale:
            raise ConfigError(f"{path}: says language {lexicon.language!r}, not {locale!r}")
        lexicons.append(lexicon)
    return CrisisDetector(lexicons)
