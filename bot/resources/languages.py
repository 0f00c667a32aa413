"""ISO 639-1 codes from what directories write for a language: "es", "spa", "Spanish"."""

from __future__ import annotations

import re

# Languages US 2-1-1 directories list most, by ISO 639-1 code: the ISO 639-2/3 codes and the
# English (and own) names that stand for each. Two-letter codes need no entry.
_LANGUAGES: dict[str, tuple[str, ...]] = {
    "en": ("eng", "english"),
    "es": ("spa", "spanish", "español", "espanol", "castellano"),
    "pt": ("por", "portuguese", "português", "portugues", "brazilian portuguese"),
    "ht": ("hat", "haitian creole", "haitian", "kreyòl", "kreyol"),
    "fr": ("fra", "fre", "french", "français"),
    "zh": ("zho", "chi", "cmn", "yue", "chinese", "mandarin", "cantonese"),
    "vi": ("vie", "vietnamese"),
    "ar": ("ara", "arabic"),
    "ru": ("rus", "russian"),
    "uk": ("ukr", "ukrainian"),
    "pl": ("pol", "polish"),
    "it": ("ita", "italian"),
    "ko": ("kor", "korean"),
    "tl": ("tgl", "fil", "tagalog", "filipino"),
    "so": ("som", "somali"),
    "sw": ("swa", "swahili"),
    "hi": ("hin", "hindi"),
    "ur": ("urd", "urdu"),
    "bn": ("ben", "bengali", "bangla"),
    "ne": ("nep", "nepali"),
    "fa": ("fas", "per", "persian", "farsi", "dari"),
    "ps": ("pus", "pashto"),
    "de": ("deu", "ger", "german"),
    "el": ("ell", "gre", "greek"),
    "ja": ("jpn", "japanese"),
    "km": ("khm", "khmer", "cambodian"),
    "lo": ("lao", "laotian"),
    "my": ("mya", "bur", "burmese"),
    "am": ("amh", "amharic"),
    "ti": ("tir", "tigrinya"),
    "sq": ("sqi", "alb", "albanian"),
    "bs": ("bos", "bosnian"),
    "hy": ("hye", "arm", "armenian"),
    "he": ("heb", "hebrew"),
    "tr": ("tur", "turkish"),
    "gu": ("guj", "gujarati"),
    "pa": ("pan", "punjabi"),
    "ta": ("tam", "tamil"),
    "te": ("tel", "telugu"),
}
_BY_WORD: dict[str, str] = {word: code for code, words in _LANGUAGES.items() for word in words}
_TWO_LETTERS = re.compile(r"^[a-z]{2}$")


def language_code(text: str) -> str | None:
    """The ISO 639-1 code for a code or name; a region is dropped ("pt-BR" -> "pt")."""
    word = " ".join(text.split()).casefold()
    if not word:
        return None
    if code := _BY_WORD.get(word):
        return code
    base = re.split(r"[-_]", word, maxsplit=1)[0]
    if _TWO_LETTERS.match(base):
        return base
    return _BY_WORD.get(base)
