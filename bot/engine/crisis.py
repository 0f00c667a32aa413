"""Crisis and relapse words as people text them: per-language phrase data, matched fast.

Each language keeps its own `locales/<lang>/crisis.yaml` (English: `locales/en/crisis.yaml`):
spellings and slang folded to one form ("kms" -> "kill myself", "over dosed" -> "overdosed"),
word groups ("@partner"), and phrases per concern. A text is folded (lower case, no accents,
no apostrophes, "sooo" -> "soo"), each word is mapped through the spellings, and a word that
is one typo from a phrase word is read as that word ("sucide", "overdoze"). Before that, an
unknown word is tried through the language's `rewrites` (letter rules a class of misspellings
share: "kiero" -> "quiero", "chokin" -> "choking"); a rewrite counts only when it makes a word
the lists know. Then the phrases
are matched, except where:

- a negation comes just before, with only words like "going to" between
  ("I'm not going to hurt myself", "he didn't hit me");
- an `ordinary` phrase covers the match ("killing it", "me muero de risa");
- for an emergency, the clause is a what-if ("in case someone overdoses");
- the sentence tells of a show or the news before the phrase ("the movie was about a girl
  who overdosed", "vi no jornal que ...": `reported`);
- a threat stands inside quotation marks in a text that marks a joke ('my mom said "i'll
  kill you" as a joke': `joking`); never a text about the sender's own safety;
- the clause tells of the past long ago ("I overdosed 2 years ago"), unless the text brings
  it back to now ("... last year and I feel that way again").

Phrase syntax: words separated by spaces; `a/b` one of these words; `@group` any entry of a
group (`@group/word` either); `stem*` (a stem of four letters or more) any word that starts
so, so one entry covers a verb's forms ("golpe*": golpeo, golpeaba, golpearon); a trailing
`?` makes a word optional; `*` is any one word (never a negation); `<n>` a number; `...` up
to four words (`....` up to eight, for class lines whose parts stand apart: "@weapon .... on me");
`$` the end of the clause ("want to end it $"). Broad category phrases ("@abuser ... @hitstem
me") carry over to new wording better than one phrase per text.
Only prefilter words (not in `common`) start a match attempt, so a text with none of them
costs one set intersection.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz.distance import OSA

from bot.errors import ConfigError

Concern = Literal["emergency", "baby", "suicide", "violence", "relapse"]
# When one text shows several, the first in this order answers (the most urgent help first).
CONCERNS: tuple[Concern, ...] = get_args(Concern)
CRISIS_FILE = "crisis.yaml"
# Where each language keeps its crisis.yaml, beside its catalog: locales/<lang>/crisis.yaml.
CRISIS_DIR = Path(__file__).resolve().parent.parent.parent / "locales"

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_REPEATS = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.!?;,:\n]+|[\"\u201c\u201d]")
_QUOTES = frozenset('"\u201c\u201d')
_QUOTE = '"'
_BOUNDARY = "|"
_FUZZY_MIN = 5
_FUZZY_CACHE_MAX = 50_000
_REMEMBER_UP_TO = 80
_GAP = "..."
_LONG_GAP = "...."
_ANY = "*"
_NUMBER = "<n>"
_END = "$"
_ONLY_COMMON = float("inf")
_STEM = "*"
_STEM_MIN = 4


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lexicon(_Strict):
    """One language's crisis data: the schema of locales/<lang>/crisis.yaml."""

    language: str
    # Words with no weight alone (pronouns, "to", "is"): never the start of a match attempt.
    common: list[str]
    # Written form -> the form phrases use. Keys may be several words ("my self").
    spellings: dict[str, str] = Field(default_factory=dict)
    negations: list[str] = Field(default_factory=list)
    # Words that may stand between a negation and the phrase ("not GOING TO hurt myself").
    negation_gap: list[str] = Field(default_factory=list)
    hypothetical: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    # Words that bring a told past back to now ("... last year and I feel that way AGAIN").
    present: list[str] = Field(default_factory=list)
    # Words that, earlier in the sentence, say the text tells of a show or the news.
    reported: list[str] = Field(default_factory=list)
    # Words that mark a joke: a phrase in quotation marks in such a text is someone's joke.
    joking: list[str] = Field(default_factory=list)
    # Letter rules (a regular expression over one word -> its replacement) for an unknown word.
    rewrites: dict[str, str] = Field(default_factory=dict)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    concerns: dict[Concern, list[str]]
    ordinary: list[str] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Finding:
    concern: Concern
    phrase: str  # the folded words that matched


def plain(text: str) -> str:
    """Lower case, accents off, curly apostrophes straight, long letter runs cut to two."""
    lowered = text.lower().translate(_APOSTROPHES)
    if not lowered.isascii():
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _REPEATS.sub(r"\1\1", lowered)


def _words(phrase: str) -> list[str]:
    return plain(phrase).split()


class _Compiler:
    """Turns the phrase syntax into regular expressions over the folded word string."""

    def __init__(self, groups: Mapping[str, Sequence[str]], negations: Iterable[str]) -> None:
        self.groups = {
            name: sorted(map(plain, words), key=len, reverse=True) for name, words in groups.items()
        }
        negs = "|".join(sorted(map(re.escape, negations), key=len, reverse=True))
        # A wildcard is never a negation: "he *? hit me" must not read "he never hit me".
        self.any = f"(?!(?:{negs}) )[^ |]+" if negs else "[^ |]+"

    def element(self, part: str, where: str) -> tuple[str, list[str], bool]:
        """(regex, the words that may stand there, optional?) for one element of a phrase."""
        optional = len(part) > 1 and part.endswith("?")
        part = part[:-1] if optional else part
        if part == _ANY:
            return self.any, [], optional
        if part == _NUMBER:
            return "[0-9]+", [], optional
        words = []
        for choice in part.split("/"):
            if choice.startswith("@"):
                if choice[1:] not in self.groups:
                    raise ConfigError(f"{where}: no group {choice}")
                words.extend(self.groups[choice[1:]])
            else:
                words.append(plain(choice))
        for w in words:
            if w.endswith(_STEM) and len(w) <= _STEM_MIN:
                raise ConfigError(f"{where}: stem {w!r} is shorter than {_STEM_MIN} letters")
        alternatives = (
            re.escape(w[:-1]) + "[^ |]*" if w.endswith(_STEM) else re.escape(w) for w in words
        )
        return "(?:" + "|".join(alternatives) + ")", words, optional

    def phrase(self, phrase: str, where: str) -> tuple[str, list[list[str]]]:
        """The phrase's regex and, per required word slot, the words that may fill it."""
        parts: list[str] = []
        slots: list[list[str]] = []
        for token in phrase.split():
            if token in (_GAP, _LONG_GAP):
                most = 4 if token == _GAP else 8
                parts.append(f"(?:{self.any} ){{0,{most}}}")
                continue
            if token == _END:
                parts.append(r"(?=\||$)")
                continue
            regex, words, optional = self.element(token, where)
            parts.append(f"(?:{regex} )?" if optional else f"{regex} ")
            if not optional and words:
                slots.append(words)
        if not slots:
            raise ConfigError(f"{where}: phrase {phrase!r} has no fixed word")
        return "(?<![^ ])" + "".join(parts), slots


@dataclass(slots=True)
class _Rules:
    """Phrases keyed by a word that must appear for them to match: the prefilter."""

    by_anchor: dict[str, list[tuple[Concern | None, re.Pattern[str]]]]


class CrisisDetector:
    """Built once from every language's crisis.yaml; `find` is pure and fast."""

    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        self.languages = tuple(lex.language for lex in lexicons)
        self._spell: dict[str, str] = {}
        self._rewrites: list[tuple[re.Pattern[str], str]] = []
        for lex in lexicons:
            for pattern, replacement in lex.rewrites.items():
                try:
                    self._rewrites.append((re.compile(pattern), replacement))
                except re.error as exc:
                    raise ConfigError(
                        f"{lex.language}/{CRISIS_FILE}: rewrite {pattern!r}: {exc}"
                    ) from exc
        multi: dict[str, str] = {}
        common: set[str] = set()
        negations: set[str] = set()
        gap: set[str] = set()
        groups: dict[str, list[str]] = {}
        for lex in lexicons:
            common.update(map(plain, lex.common))
            negations.update(map(plain, lex.negations))
            gap.update(map(plain, lex.negation_gap))
            for name, words in lex.groups.items():
                groups.setdefault(name, []).extend(words)
            for written, meant in lex.spellings.items():
                key, value = " ".join(_words(written)), " ".join(_words(meant)) or _BOUNDARY
                target = multi if " " in key else self._spell
                if target.get(key, value) != value:
                    raise ConfigError(
                        f"{lex.language}/{CRISIS_FILE}: spelling {written!r} means "
                        f"{target[key]!r} in another language"
                    )
                target[key] = value
        self._negations = frozenset(negations)
        self._gap = frozenset(gap)
        self._multi = (
            re.compile(
                "(?<![^ ])("
                + "|".join(sorted(map(re.escape, multi), key=len, reverse=True))
                + ")(?![^ ])"
            )
            if multi
            else None
        )
        self._multi_map = multi
        self._multi_first = frozenset(k.split()[0] for k in multi)
        compiler = _Compiler(groups, negations)
        by_anchor: dict[str, list[tuple[Concern | None, re.Pattern[str]]]] = {}
        pending: dict[tuple[str, Concern | None], list[str]] = {}
        phrase_words: set[str] = set()
        for lex in lexicons:
            entries: list[tuple[Concern | None, str]] = [
                (concern, p) for concern, ps in lex.concerns.items() for p in ps
            ]
            entries += [(None, p) for p in lex.ordinary]
            for concern, phrase in entries:
                where = f"{lex.language}/{CRISIS_FILE} {concern or 'ordinary'}"
                regex, slots = compiler.phrase(phrase, where)
                for words in slots:
                    phrase_words.update(
                        w for value in words for w in value.split() if not w.endswith(_STEM)
                    )
                # The slot with the fewest common words (then the fewest words) starts it.
                anchor_slot = min(slots, key=lambda s: (_commons(s, common), len(s)))
                if _commons(anchor_slot, common) == _ONLY_COMMON:
                    raise ConfigError(f"{where}: phrase {phrase!r} has only common words")
                for value in anchor_slot:
                    pending.setdefault((value.split()[0], concern), []).append(regex)
        # One pattern per phrase: in one alternation a short phrase would hide a longer one
        # starting at the same word, and the longest match must be seen.
        for (anchor, concern), regexes in pending.items():
            for regex in dict.fromkeys(regexes):
                by_anchor.setdefault(anchor, []).append((concern, re.compile(regex)))
        self._rules = _Rules(by_anchor)
        self._anchors = frozenset(a for a in by_anchor if not a.endswith(_STEM))
        # A stem anchor is found word by word: each word's prefixes looked up once, then
        # remembered (texts repeat their words).
        self._stems = frozenset(a[:-1] for a in by_anchor if a.endswith(_STEM))
        self._stem_of: dict[str, tuple[str, ...]] = {}
        self._hypothetical = _marker_regex(w for lex in lexicons for w in lex.hypothetical)
        self._history = _marker_regex(w for lex in lexicons for w in lex.history)
        self._present = _marker_regex(w for lex in lexicons for w in lex.present)
        self._reported = _marker_regex(w for lex in lexicons for w in lex.reported)
        self._joking = _marker_regex(w for lex in lexicons for w in lex.joking)
        known = common | negations | gap | set(self._spell) | phrase_words
        # Every group word is a word, though a group only fills an optional slot: "sleeping"
        # (@pillkind?) must not be read as a typo of "slapping".
        known.update(
            w for ws in groups.values() for v in ws for w in _words(v) if not w.endswith(_STEM)
        )
        known.update(w for v in self._spell.values() for w in v.split())
        self._known = frozenset(known)
        self._fuzzy: dict[str, list[str]] = {}
        for word in phrase_words - common:
            if len(word) >= _FUZZY_MIN and word.isalpha():
                self._fuzzy.setdefault(word[:2], []).append(word)
        self._cache: dict[str, str] = {}
        self._found: dict[str, Finding | None] = {}

    # ---- folding -----------------------------------------------------------------------

    def _correct(self, word: str) -> str:
        """A word one typo (two in a long word) from a phrase word becomes that word."""
        found = self._cache.get(word)
        if found is not None:
            return found
        # Each rule alone, then those that applied all in turn ("kwe": "^kw" -> "tou" and
        # "e$" -> "ye").
        applied: list[tuple[re.Pattern[str], str]] = []
        for pattern, replacement in self._rewrites:
            rewritten = pattern.sub(replacement, word)
            if rewritten == word:
                continue
            applied.append((pattern, replacement))
            if self._knows(rewritten):
                return self._remember(word, self._spell.get(rewritten, rewritten))
        if len(applied) > 1:
            rewritten = word
            for pattern, replacement in applied:
                rewritten = pattern.sub(replacement, rewritten)
            if self._knows(rewritten):
                return self._remember(word, self._spell.get(rewritten, rewritten))
        best, best_distance = word, 3
        if len(word) < _FUZZY_MIN:
            return self._remember(word, word)
        limit = 1 if len(word) < 8 else 2
        for target in self._fuzzy.get(word[:2], ()):
            if abs(len(target) - len(word)) > limit or _inflection(word, target):
                continue
            distance = OSA.distance(word, target, score_cutoff=limit)
            if distance <= limit and distance < best_distance:
                best, best_distance = target, distance
        return self._remember(word, best)

    def _knows(self, word: str) -> bool:
        meant = self._spell.get(word, word)
        return all(w in self._known or self._stem_anchors(w) for w in meant.split())

    def _remember(self, word: str, meant: str) -> str:
        if len(self._cache) >= _FUZZY_CACHE_MAX:
            self._cache.clear()
        self._cache[word] = meant
        return meant

    def fold(self, text: str) -> list[str]:
        """The words phrases are matched against, with '|' between clauses."""
        out: list[str] = []
        for token in _TOKEN.findall(plain(text)):
            if token in _QUOTES:
                out.append(_QUOTE)
                continue
            if not token[0].isalnum():
                out.append(_BOUNDARY)
                continue
            meant = self._spell.get(token)
            if meant is None:
                bare = token.replace("'", "")
                meant = self._spell.get(bare, bare)
            out.extend(meant.split())
        if self._multi is not None and not self._multi_first.isdisjoint(out):
            joined = self._multi.sub(lambda m: self._multi_map[m.group(1)], " ".join(out))
            out = joined.split()
        known = self._known
        folded: list[str] = []
        for w in out:
            if w not in known and w.isalpha() and len(w) > 2:
                folded.extend(self._correct(w).split())
            else:
                folded.append(w)
        return folded

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
        found: list[tuple[Concern, int, int]] = []
        ordinary: list[tuple[int, int]] = []
        for anchor in present:
            for concern, pattern in self._rules.by_anchor[anchor]:
                for match in pattern.finditer(joined):
                    if concern is None:
                        ordinary.append(match.span())
                    else:
                        found.append((concern, *match.span()))
        # Where phrases overlap, the longest tells what happened: "me amenazó con matarme"
        # is a threat (violence), though "matarme" alone would be about suicide.
        kept: list[tuple[Concern, int, int]] = []
        for concern, start, end in sorted(found, key=lambda f: (f[1] - f[2], CONCERNS.index(f[0]))):
            if any(s < end and start < e for s, e in ordinary):
                continue
            if any(s < end and start < e for _, s, e in kept):
                continue
            if not self._excused(concern, joined, start, end):
                kept.append((concern, start, end))
        if not kept:
            return None
        concern, start, end = min(kept, key=lambda f: CONCERNS.index(f[0]))
        return Finding(concern, joined[start:end].strip())

    def _stem_anchors(self, word: str) -> tuple[str, ...]:
        found = self._stem_of.get(word)
        if found is None:
            found = tuple(
                word[:k] + _STEM for k in range(_STEM_MIN, len(word) + 1) if word[:k] in self._stems
            )
            if len(self._stem_of) >= _FUZZY_CACHE_MAX:
                self._stem_of.clear()
            self._stem_of[word] = found
        return found

    def _excused(self, concern: Concern, joined: str, start: int, end: int) -> bool:
        """Negated, a what-if, or long ago: the phrase is there but no one is in danger now."""
        before = joined[:start].split()
        clause_start = len(before) - before[::-1].index(_BOUNDARY) if _BOUNDARY in before else 0
        lead = before[clause_start:]
        for word in reversed(lead[-5:]):
            if word in self._negations:
                return True
            if word not in self._gap:
                break
        after = joined[end - 1 :].split(f" {_BOUNDARY} ", 1)[0]
        clause = " " + " ".join(lead) + " " + joined[start:end].strip() + " " + after + " "
        if (
            concern == "emergency"
            and self._hypothetical
            and self._hypothetical.search(" " + " ".join(lead) + " ")
        ):
            return True
        sentence = joined[:start].rsplit(" | ", 1)[-1]
        if self._reported is not None and self._reported.search(" " + sentence + " "):
            return True
        if (
            concern == "violence"
            and self._joking is not None
            and joined[:start].count(_QUOTE) % 2 == 1
            and self._joking.search(joined)
        ):
            return True
        if concern == "baby" or self._history is None or not self._history.search(clause):
            return False
        # Long ago, unless the text brings it back to now: the rest of the text counts.
        return self._present is None or not self._present.search(" " + joined[start:] + " ")


def _inflection(word: str, target: str) -> bool:
    """Words with one stem and two different endings are forms of one word, not a typo:
    "consume" is not a misspelt "consumí", nor "despertarme" of "despertarlo" ("mysef" is
    "myself" with a letter left out, though)."""
    stem = 0
    for a, b in zip(word, target, strict=False):
        if a != b:
            break
        stem += 1
    if stem < max(len(word), len(target)) - 2:
        return False
    tail, other = word[stem:], target[stem:]
    return bool(tail and other) and not (tail.endswith(other) or other.endswith(tail))


def _commons(slot: Sequence[str], common: Collection[str]) -> float:
    """How many of a slot's words are common; a slot of only common words ranks last."""
    count = sum(v.split()[0] in common for v in slot)
    return _ONLY_COMMON if count == len(slot) else count


def _marker_regex(markers: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({" ".join(_words(m)) for m in markers if _words(m)}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(" (?:" + "|".join(map(re.escape, words)) + ") ")


def load_lexicon(path: Path) -> Lexicon:
    try:
        # BaseLoader: every value a string, so "no" and "off" stay words, not booleans.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
        return Lexicon.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


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
