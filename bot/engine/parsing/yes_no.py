"""Yes or no, in en/es/pt, with emoji, held-down letters and a leading word ("yes I do")."""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.engine.parsing.common import ParseFailed, _require, _words

_YES = frozenset(
    (
        "y",
        "yes",
        "yeah",
        "yea",
        "yep",
        "yup",
        "ya",
        "sure",
        "ok",
        "okay",
        "k",
        "1",
        "si",
        "s",
        "claro",
        "sim",
        "correct",
        "right",
        "yes please",
        "absolutely",
        "definitely",
        "of course",
        "por supuesto",
        "claro que si",
        "correcto",
        "certo",
        "isso",
        "com certeza",
        "sim por favor",
        "si por favor",
        "sip",
        "yas",
        "yess",
        "alright",
        "sounds good",
        "i guess so",
        "i agree",
        "agreed",
        "ok sure",
        "okey",
        "va",
        "dale",
        "esta bien",
        "bueno",
        "de acuerdo",
        "estoy de acuerdo",
        "pode ser",
        "pode",
        "beleza",
        "blz",
        "uhum",
        "aham",
        "bora",
        "concordo",
        "isso mesmo",
        "👍",
        "✅",
        "👌",
    )
)
_NO = frozenset(
    (
        "n",
        "no",
        "nope",
        "nah",
        "2",
        "nao",
        "no thanks",
        "no thank you",
        "not really",
        "no gracias",
        "nao obrigado",
        "nao obrigada",
        "never",
        "nunca",
        "naw",
        "nop",
        "nel",
        "not now",
        "not right now",
        "not really",
        "ahora no",
        "ahorita no",
        "agora nao",
        "just me",
        "only me",
        "solo yo",
        "so eu",
        "no one",
        "nadie",
        "ninguem",
        "👎",
        "❌",
    )
)
# Replies containing a yes/no word that still mean "I don't know" ("no sé", "not sure").
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|idk|don ?t know|maybe|no idea|no se|nao sei|tal ?vez|quizas?|talvez|"
    r"no estoy segur[oa]|nao tenho certeza)\b"
)
# Words that decide a longer reply when they lead it ("yes I do", "no, not yet").
_LEAD = MappingProxyType(
    dict.fromkeys(
        ("yes", "yeah", "yea", "yep", "yup", "sure", "okay", "ok", "si", "claro", "sim"), True
    )
    | dict.fromkeys(("no", "nope", "nah", "nao", "never", "nunca"), False)
)
_JOINERS = frozenset(("and", "or", "y", "o", "e", "ou"))


_REPEATS = re.compile(r"(\w)\1+")


def parse_yes_no(text: str, lang: str) -> bool:
    norm = _require(text)
    phrase = _words(norm)
    if _UNSURE.search(phrase):
        raise ParseFailed("not_understood")
    # "yesss", "siii", "simm", "nãoo": a held-down letter is still the word.
    for form in (norm, phrase, _REPEATS.sub(r"\1", phrase)):
        if form in _YES:
            return True
        if form in _NO:
            return False
    words = _REPEATS.sub(r"\1", phrase).split()
    if words[0] not in _LEAD:
        raise ParseFailed("not_understood")
    answer = _LEAD[words[0]]
    # "yes and no" / "si o no": the opposite answer right after the first one, and nothing else
    # ("yes, no one smokes" is a yes).
    following = [w for w in words[1:] if w not in _JOINERS]
    if len(following) == 1 and _LEAD.get(following[0], answer) != answer:
        raise ParseFailed("ambiguous")
    return answer
