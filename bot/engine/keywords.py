"""Keyword tables (translated through the catalogs) and matching on them.

Crisis words are not here: each language keeps them in locales/<lang>/crisis.yaml (crisis.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import OSA

from bot.engine.texts import NP_, Translator

Command = Literal[
    "stop",
    "start",
    "help",
    "menu",
    "back",
    "skip",
    "review",
    "change",
    "restart",
    "talk",
    "language",
    "reminder",
    "sharing",
    "stop_sharing",
    "confirm",
    "reschedule",
    "ride",
    "reminders_off",
    "reminders_on",
    "reminders_list",
    "detailed_on",
    "detailed_off",
    "private_on",
    "private_off",
    "needs",
    "saved",
    "my_record",
    "my_plan",
    "details",
    "here",
    "delete_data",
    "erase_confirm",
]

# Translators: words that switch texts to THIS catalog's language: its name in itself, in
# English and in the other languages we ship (comma-separated, capitals).
LANGUAGE_WORDS = NP_("language", "ENGLISH, INGLES, INGLÊS")
# Translators: first messages that show a parent writes in THIS catalog's language, so the
# bot starts in it (comma-separated, capitals). Keep to words no other language uses.
GREETINGS = NP_("greeting", "HI, HELLO, HEY, HIYA, GOOD MORNING, GOOD AFTERNOON")

# Comma-separated words per command; each catalog adds its own language's words.
KEYWORDS: dict[Command, str] = {
    "stop": NP_(
        "keyword",
        "STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, OPT OUT, "
        "STOP TEXTING, STOP TEXTING ME, NO MORE TEXTS, DONT TEXT ME, DO NOT TEXT ME",
    ),
    "start": NP_("keyword", "START, UNSTOP, YES"),
    "help": NP_("keyword", "HELP, INFO"),
    "menu": NP_("keyword", "MENU"),
    "back": NP_("keyword", "BACK, UNDO"),
    "skip": NP_("keyword", "SKIP"),
    "review": NP_("keyword", "REVIEW"),
    "change": NP_("keyword", "CHANGE, EDIT"),
    "restart": NP_("keyword", "RESTART, START OVER"),
    "talk": NP_("keyword", "TALK, PERSON, HUMAN, AGENT, TALK TO SOMEONE, TALK TO A PERSON"),
    "language": NP_("keyword", "LANGUAGE"),
    "reminder": NP_("keyword", "REMINDER, ADD REMINDER, ADD A REMINDER, REMIND ME"),
    # Never bare REVOKE for sharing: carriers treat it as an opt-out from all texts.
    "sharing": NP_("keyword", "SHARING, WHO SEES MY PLAN"),
    "stop_sharing": NP_(
        "keyword", "STOP SHARING, STOP SHARING ALL, DONT SHARE, DO NOT SHARE, DONT SHARE MY PLAN"
    ),
    # Replies to a reminder; C, R and RIDE count only while a reminder is waiting.
    "confirm": NP_("keyword", "C, CONFIRM, CONFIRMED, ILL BE THERE"),
    "reschedule": NP_("keyword", "R, RESCHEDULE, CHANGE TIME"),
    "ride": NP_("keyword", "RIDE, NEED A RIDE, I NEED A RIDE"),
    "reminders_off": NP_(
        "keyword", "NO REMINDERS, STOP REMINDERS, STOP THE REMINDERS, REMINDERS OFF"
    ),
    "reminders_on": NP_("keyword", "REMINDERS ON, START REMINDERS"),
    "reminders_list": NP_("keyword", "REMINDERS, MY REMINDERS, LIST REMINDERS"),
    "detailed_on": NP_("keyword", "DETAILED REMINDERS, FULL REMINDERS"),
    "detailed_off": NP_("keyword", "SIMPLE REMINDERS, PRIVATE REMINDERS"),
    # Shared-phone mode: texts name no sensitive detail (onboarding asks; these change it).
    "private_on": NP_("keyword", "PRIVATE ON, PRIVATE MODE, SHARED PHONE"),
    "private_off": NP_("keyword", "PRIVATE OFF, NOT SHARED, MY OWN PHONE"),
    "needs": NP_("keyword", "NEEDS, MY NEEDS"),
    "saved": NP_("keyword", "SAVED, MY SAVED, SAVED PLACES"),
    "my_record": NP_("keyword", "MY RECORD, WHO SAW MY PLAN"),
    "my_plan": NP_("keyword", "MY PLAN, PRINT MY PLAN, SEND MY PLAN"),
    # On a shared phone: the full consent details behind a sharing question's neutral words.
    "details": NP_("keyword", "DETAILS, SEE DETAILS, MORE DETAILS"),
    # On a shared phone: answer a part's private questions by text anyway (not in the chat).
    "here": NP_("keyword", "HERE, BY TEXT, ASK HERE, ANSWER HERE"),
    "delete_data": NP_("keyword", "DELETE MY DATA, ERASE MY DATA, DELETE MY INFO"),
    # The second "yes" of DELETE MY DATA: a word, so no one erases a plan by a stray YES.
    "erase_confirm": NP_("keyword", "DELETE, ERASE"),
}
REMINDER_REPLIES = ("confirm", "reschedule", "ride")

# Words that may follow a stop word and leave it a stop ("STOP PLEASE", "PARA YA").
STOP_FILLER = frozenset(
    {
        "PLEASE", "PLS", "PLZ", "NOW", "IT", "ALL", "ME", "THANKS", "THANK", "YOU",
        "TEXTING", "TEXTS", "MESSAGES", "MESSAGING",
        "POR", "FAVOR", "YA", "AHORA", "GRACIAS", "AGORA", "OBRIGADO", "OBRIGADA",
    }
)  # fmt: skip

# Commands a reply may name loosely ("menu please", "meun", "can I talk to someone"), once it
# is no answer to the question. Never STOP, START, RESTART or the erasing ones: those stay exact.
LOOSE_COMMANDS: frozenset[Command] = frozenset(
    ("menu", "help", "back", "skip", "talk", "review", "my_plan", "reminder", "language", "needs")
)
# Words around a command that do not change it.
_LEAD_FILLER = frozenset(
    [
        "CAN",
        "COULD",
        "I",
        "ID",
        "WANT",
        "WANNA",
        "WOULD",
        "LIKE",
        "TO",
        "GO",
        "MAIN",
        "PLEASE",
        "PLS",
        "SHOW",
        "QUIERO",
        "PUEDO",
        "QUERO",
        "POSSO",
        "YO",
        "EU",
        "ME",
        "LET",
    ]
)
_TAIL_FILLER = frozenset(
    [
        "PLEASE",
        "PLS",
        "PLZ",
        "THIS",
        "IT",
        "ONE",
        "NOW",
        "POR",
        "FAVOR",
        "ESTA",
        "ESTE",
        "ESSA",
        "ESSE",
        "AQUI",
        "ESO",
        "ISSO",
    ]
)

_PUNCT = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Upper-case, strip accents and punctuation, collapse spaces: 'Stop!!' -> 'STOP'."""
    plain = text
    if not text.isascii():  # ASCII has nothing to decompose: most texts skip this
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("\u2019", "").replace("'", "")
    return _SPACES.sub(" ", _PUNCT.sub(" ", plain)).strip().upper()


def _words(raw: str) -> list[str]:
    return [fold(w) for w in raw.split(",") if fold(w)]


def _filler_only(words: list[str]) -> bool:
    """A few words that leave a stop a stop ("please", "now", "por favor")."""
    return len(words) <= 3 and set(words) <= STOP_FILLER


@dataclass(frozen=True, slots=True)
class Match:
    command: Command
    argument: str


class KeywordTable:
    """Built once from every locale's catalog: a message in any language is understood."""

    def __init__(self, translator: Translator) -> None:
        self._commands: dict[str, Command] = {}
        for locale in ("en", *translator.locales):
            for command, words in KEYWORDS.items():
                for word in _words(translator.pgettext(locale, "keyword", words)):
                    self._commands.setdefault(word, command)
        # Language words and greetings: each catalog names its own language.
        self._languages: dict[str, str] = {}
        self._greetings: dict[str, str] = {}
        for locale in translator.locales:
            # An untranslated entry falls back to English, which would claim English words
            # for another language: only a real translation names a language.
            words = translator.pgettext(locale, "language", LANGUAGE_WORDS)
            if locale == "en" or words != LANGUAGE_WORDS:
                for word in _words(words):
                    self._languages.setdefault(word, locale)
            greetings = translator.pgettext(locale, "greeting", GREETINGS)
            if locale != "en" and greetings != GREETINGS:
                for word in _words(greetings):
                    self._greetings.setdefault(word, locale)
        self._phrases = sorted(
            ((w, c) for w, c in self._commands.items() if " " in w and c != "stop"),
            key=lambda pair: -len(pair[0]),
        )
        self._loose = [
            (w, c)
            for w, c in self._commands.items()
            if c in LOOSE_COMMANDS and " " not in w and len(w) >= 4
        ]
        self._stop_first_words = {
            w for w, c in self._commands.items() if c == "stop" and " " not in w
        }
        # Stop phrases by their first word, longest first: "NO ME MANDEN MAS" + filler.
        self._stop_phrases: dict[str, list[str]] = {}
        for word, command in sorted(self._commands.items(), key=lambda pair: -len(pair[0])):
            if command == "stop" and " " in word:
                self._stop_phrases.setdefault(word.partition(" ")[0], []).append(word)

    def is_keyword(self, folded: str) -> bool:
        """Whether the whole message is exactly one spelling of a command or a language's
        name, in any language (no words around it: "TALK TO SOMEONE, I want to die" is not)."""
        return folded in self._commands or folded in self._languages

    def command(self, folded: str) -> Match | None:
        """The command a whole message is, if any; CHANGE takes a number after it."""
        if folded in self._languages:
            return Match("language", self._languages[folded])
        if folded in self._commands:
            return Match(self._commands[folded], "")
        head, _, rest = folded.partition(" ")
        if head in self._commands and self._commands[head] == "change" and rest.isdigit():
            return Match("change", rest)
        # "STOP SHARING PLEASE" is about sharing, not texts: longer phrases win.
        if rest:  # a phrase followed by more words needs a space in the message
            for phrase, command in self._phrases:
                if folded.startswith(phrase + " "):
                    return Match(command, "")
        # "Stop please", "STOP IT NOW": a stop word followed only by filler is a stop. Not
        # any short message led by one: "para la presion" is an answer, not STOP.
        after_head = folded.split()[1:]
        if head in self._stop_first_words and _filler_only(after_head):
            return Match("stop", "")
        # "No me manden más, por favor", "PAREM DE MANDAR MENSAGEM JA": a stop phrase too.
        for phrase in self._stop_phrases.get(head, ()) if rest else ():
            if folded.startswith(phrase + " ") and _filler_only(folded[len(phrase) :].split()):
                return Match("stop", "")
        return None

    def near_command(self, folded: str, *, typos: bool = False) -> Command | None:
        """A loose command: filler words around it, or (with `typos`) one slip of the thumb."""
        words = [w for w in folded.split() if w != "REAL"]
        while words and words[0] in _LEAD_FILLER:
            words.pop(0)
        while words and words[-1] in _TAIL_FILLER:
            words.pop()
        core = " ".join(words)
        found = self._commands.get(core) if core != folded else None
        if found in LOOSE_COMMANDS:
            return found
        if core in self._languages and core != folded:
            return "language"
        if not typos or " " in core or len(core) < 4:
            return None
        near = {
            command
            for word, command in self._loose
            if abs(len(word) - len(core)) <= 1 and OSA.distance(core, word, score_cutoff=1) <= 1
        }
        return near.pop() if len(near) == 1 else None

    def language_of_greeting(self, folded: str) -> str | None:
        """The locale a first message is written in, when it is a greeting we know."""
        if folded in self._languages:
            return self._languages[folded]
        for phrase in (folded, folded.partition(" ")[0]):
            if phrase in self._greetings:
                return self._greetings[phrase]
        return None
