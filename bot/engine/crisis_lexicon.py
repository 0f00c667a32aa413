"""The crisis data of one language (locales/<lang>/crisis.yaml) and the phrase syntax over it.

The schema (`Lexicon`), the folding every text and phrase goes through (`plain`), and the
compiler that turns a phrase ("@abuser ... @hitstem me") into a regular expression over folded
words. The detector that uses them is bot/engine/crisis.py; the syntax is described there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ConfigError

Concern = Literal["emergency", "baby", "suicide", "violence", "relapse"]
# When one text shows several, the first in this order answers (the most urgent help first).
CONCERNS: tuple[Concern, ...] = get_args(Concern)
CRISIS_FILE = "crisis.yaml"
# Where each language keeps its crisis.yaml, beside its catalog: locales/<lang>/crisis.yaml.
CRISIS_DIR = Path(__file__).resolve().parent.parent.parent / "locales"

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_REPEATS = re.compile(r"([a-z])\1{2,}")
BOUNDARY = "|"
GAP = "..."
LONG_GAP = "...."
ANY = "*"
NUMBER = "<n>"
# A number of two digits or more ("took 30 of my seroquel"; "took 2 tylenol" is no overdose).
MANY = "<nn>"
END = "$"
ONLY_COMMON = float("inf")
STEM = "*"
STEM_MIN = 4
# Any one word but these: "!@drug", "!life/living".
NOT = "!"
# Joins the words of one alternative: "going_to/will" is "going to" or "will".
JOIN = "_"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lexicon(_Strict):
    """One language's crisis data: the schema of locales/<lang>/crisis.yaml."""

    language: str
    # Languages whose texters borrow this one's spellings, and this one theirs (Spanish and
    # Portuguese: "ta", "aki", "q"): a text that reads as one gets both's fixes
    # (bot/engine/crisis_spelling.py). Either side may list the other.
    kin: list[str] = Field(default_factory=list)
    # Words with no weight alone (pronouns, "to", "is"): never the start of a match attempt.
    common: list[str]
    # Everyday words, never read as a typo of a crisis word ("ahora" is not "ahorca").
    words: list[str] = Field(default_factory=list)
    # Written form -> the form phrases use. Keys may be several words ("my self").
    spellings: dict[str, str] = Field(default_factory=dict)
    negations: list[str] = Field(default_factory=list)
    # Words that may stand between a negation and the phrase ("not GOING TO hurt myself").
    negation_gap: list[str] = Field(default_factory=list)
    hypothetical: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    # Verbs in a past that lasted ("mi ex ME PEGABA", "minha tia APANHAVA do marido"): the clause
    # is long ago as with `history`, unless it says now ("... me golpeaba anoche").
    habitual_past: list[str] = Field(default_factory=list)
    # Words that bring a told past back to now ("... last year and I feel that way AGAIN").
    present: list[str] = Field(default_factory=list)
    # Words that, earlier in the sentence, say the text tells of a show or the news.
    reported: list[str] = Field(default_factory=list)
    # Words that mark a joke: a phrase in quotation marks in such a text is someone's joke.
    joking: list[str] = Field(default_factory=list)
    # Laughter as written ("lol", "jaja*", "kkk*", an emoji; `*` any ending), read on the text
    # before spellings: a text that laughs tells an idiom ("i want to die lol"), unless it
    # also says it is serious (`serious`: "for real", "no es broma", "socorro").
    laughing: list[str] = Field(default_factory=list)
    serious: list[str] = Field(default_factory=list)
    # Markers that tell of the news or a show anywhere in the sentence, after the phrase too
    # ("they found two overdoses ON THE NEWS").
    reported_anywhere: list[str] = Field(default_factory=list)
    # Words after a told past that say it is over ("... but hes been sober since", "ya no
    # estoy con el"): the past is excused as with `history` (never for a baby).
    resolved: list[str] = Field(default_factory=list)
    # Words after an emergency that say the person came through it ("my neighbor od'd last
    # week, HE IS OK", "YA ESTA BIEN", "a pediatra disse que E NORMAL"): an emergency only,
    # and not where a word of `unsure` stands just before ("i hope he is ok", "no se si esta
    # bien"). The model still reads a text the rules excuse.
    recovered: list[str] = Field(default_factory=list)
    unsure: list[str] = Field(default_factory=list)
    # Words after such a marker that take it back ("we narcanned him and he came to BUT NOW
    # hes going back out"): the emergency stands.
    setback: list[str] = Field(default_factory=list)
    # Words after an urge or a use that say it did not happen or was turned away ("i almost
    # texted my dealer BUT I DELETED his number", "y no lo dejo ver a la bebe"): a relapse only.
    averted: list[str] = Field(default_factory=list)
    # Words that put the harm in its own clause now ("he hit me last night, 2 years ago he did
    # it too", "conozco la senal de sobredosis y la tiene ahora"): a past dated only in the
    # next clause, or a report marker before it, no longer excuses it.
    now: list[str] = Field(default_factory=list)
    # Words after a turned-away urge that say the use came anyway ("i almost texted my dealer
    # but i didnt. i USED what i had at home"): the urge is no longer `averted`.
    still_used: list[str] = Field(default_factory=list)
    # Words just before a relapse phrase that make it an urge, not a use ("i ALMOST texted my
    # dealer", "CASI le escribo", "QUASE liguei"): only an urge can be `averted`.
    urge: list[str] = Field(default_factory=list)
    # Words just before a relapse phrase, the parent its subject, that make it a what-if asked
    # or planned ahead ("IF I EVER relapsed who would i call", "SI ALGUN DIA recaigo", "SE EU
    # recair"): a relapse only; not after a word of `unsure` ("idk if i relapsed"), nor where
    # the clause or the rest of the text says now ("if i relapsed last night ...").
    what_if_use: list[str] = Field(default_factory=list)
    # A negation that tells a surprise, not a denial, when these words stand between it and the
    # phrase ("i never THOUGHT HE would hit me", "nunca PENSEI QUE ele ia me bater"): the harm
    # happened, so the negation excuses nothing (stop 44).
    surprise: list[str] = Field(default_factory=list)
    # Letter rules (a regular expression over one word -> its replacement) for an unknown word.
    rewrites: dict[str, str] = Field(default_factory=dict)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    concerns: dict[Concern, list[str]]
    # The reader: rules over word classes (groups), the who + harm + target of a clause
    # ("@AGENT .... @HARM .... @ME"), read like phrases; kept apart so the classes stay general.
    reader: dict[Concern, list[str]] = Field(default_factory=dict)
    # Signs: weaker cues; two different signs of one concern in a text make it that concern
    # ("slumped over" + "needle", "rope" + "for me").
    signs: dict[Concern, list[str]] = Field(default_factory=dict)
    ordinary: list[str] = Field(default_factory=list)


def plain(text: str) -> str:
    """Lower case, accents off, curly apostrophes straight, long letter runs cut to two."""
    lowered = text.lower().translate(_APOSTROPHES)
    if not lowered.isascii():
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _REPEATS.sub(r"\1\1", lowered)


def fold_words(phrase: str) -> list[str]:
    return plain(phrase).split()


class Compiler:
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
        if part == ANY:
            return self.any, [], optional
        if part == NUMBER:
            return "[0-9]+", [], optional
        if part == MANY:
            return "[1-9][0-9]+", [], optional
        if len(part) > 1 and part.startswith(NOT):
            # Any one word but these (never a negation): "usando otra_vez el/la !@DROGA_ES"
            # is a diaper bag or a vitamin again, not a relapse.
            regex, _, _ = self.element(part[1:], where)
            return f"(?!{regex} ){self.any}", [], optional
        words = []
        numbers = []  # a number among the choices ("in/since a/<n>/over ... months")
        for choice in part.split("/"):
            if choice in (NUMBER, MANY):
                numbers.append("[0-9]+" if choice == NUMBER else "[1-9][0-9]+")
            elif choice.startswith("@"):
                if choice[1:] not in self.groups:
                    raise ConfigError(f"{where}: no group {choice}")
                words.extend(self.groups[choice[1:]])
            else:
                words.append(plain(choice).replace(JOIN, " "))
        for w in words:
            if w.endswith(STEM) and len(w) <= STEM_MIN:
                raise ConfigError(f"{where}: stem {w!r} is shorter than {STEM_MIN} letters")
        alternatives = [
            re.escape(w[:-1]) + "[^ |]*" if w.endswith(STEM) else re.escape(w) for w in words
        ]
        # A slot that may be a number has no fixed word: it anchors nothing (`phrase`).
        return "(?:" + "|".join(alternatives + numbers) + ")", [] if numbers else words, optional

    def phrase(self, phrase: str, where: str) -> tuple[str, list[list[str]]]:
        """The phrase's regex and, per required word slot, the words that may fill it."""
        parts: list[str] = []
        slots: list[list[str]] = []
        for token in phrase.split():
            if token in (GAP, LONG_GAP):
                most = 4 if token == GAP else 8
                parts.append(f"(?:{self.any} ){{0,{most}}}")
                continue
            if token == END:
                parts.append(r"(?=\||$)")
                continue
            if token.startswith(NOT + LONG_GAP) and len(token) > len(NOT + LONG_GAP):
                # None of these words anywhere in the rest of the clause: "my @OTHERS relapsed
                # !....@WITH_ME" is news, not "... relapsed and we got high together".
                regex, _, _ = self.element(token[len(NOT + LONG_GAP) :], where)
                parts.append(rf"(?![^|]*?(?<![^ ]){regex} )")
                continue
            regex, words, optional = self.element(token, where)
            parts.append(f"(?:{regex} )?" if optional else f"{regex} ")
            if not optional and words:
                slots.append(words)
        if not slots:
            raise ConfigError(f"{where}: phrase {phrase!r} has no fixed word")
        return "(?<![^ ])" + "".join(parts), slots


def commons(slot: Sequence[str], common: Collection[str]) -> float:
    """How many of a slot's words are common; a slot of only common words ranks last."""
    count = sum(v.split()[0] in common for v in slot)
    return ONLY_COMMON if count == len(slot) else count


def marker_regex(markers: Iterable[str]) -> re.Pattern[str] | None:
    """Markers over the folded words; `<n>` in a marker is any number ("hace <n> anos"), `<nn>`
    one of two digits or more ("when i was <nn>": an age, not "7 months" pregnant)."""
    words = sorted(
        {" ".join(fold_words(m)) for m in markers if fold_words(m)}, key=len, reverse=True
    )
    if not words:
        return None
    alternatives = (
        re.escape(w).replace(re.escape(NUMBER), "[0-9]+").replace(re.escape(MANY), "[1-9][0-9]+")
        for w in words
    )
    return re.compile(" (?:" + "|".join(alternatives) + ") ")


def laughter_regex(markers: Iterable[str]) -> re.Pattern[str] | None:
    """Laughter over the plain text: a word ("lol"), a word with any ending ("jaja*"), or a
    sign standing alone (an emoji)."""
    words, signs = [], []
    for marker in sorted({plain(m) for m in markers if m.strip()}):
        if marker[0].isalnum():
            stem = re.escape(marker.rstrip(STEM))
            words.append(stem + "[a-z]*" if marker.endswith(STEM) else stem)
        else:
            signs.append(re.escape(marker))
    if words:
        signs.insert(0, r"(?<![a-z0-9])(?:" + "|".join(words) + r")(?![a-z0-9])")
    return re.compile("|".join(signs)) if signs else None


def load_lexicon(path: Path) -> Lexicon:
    try:
        # BaseLoader: every value a string, so "no" and "off" stay words, not booleans.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
        return Lexicon.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
