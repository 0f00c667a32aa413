"""Read one reply to a question the way a person meant it: an answer, a skip, or a command.

The strict parsers in `parsing` come first; only a reply they cannot read is looked at again
for "I don't know / later" (a skip where skipping is allowed) and for a command with a typo.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine.answers import ZipLookup, parse_answer
from bot.engine.keywords import Command, KeywordTable, fold
from bot.engine.model import Step
from bot.engine.parsing import ParseFailed, normalize

# Replies that mean "not now / I don't know": a skip on a question that may be skipped.
_SKIP_WORDS = re.compile(
    r"\b(?:idk|i ?dk|dunno|i ?don ?t know|don ?t know|dont know|do not know|not sure|no idea|"
    r"unsure|later|ask me later|rather not|prefer not|pass|i don ?t have (?:it|one|that)|"
    r"don ?t have (?:it|one|that)|have to call|need to call|no se|no lo se|no estoy segur[ao]|"
    r"mas tarde|luego|despues|prefiero no|no lo tengo|no la tengo|tengo que llamar|"
    r"nao sei|nao tenho certeza|depois|mais tarde|prefiro nao|nao tenho|preciso ligar|"
    r"todavia no se|aun no se|ainda nao sei)\b"
)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reply was: an answer (`value`), a skip, a command, or unclear (`failure`)."""

    value: Any = None
    skip: bool = False
    command: Command | None = None
    failure: str | None = None
    guesses: tuple[str, ...] = ()  # choices an unclear reply fits equally well


def means_skip(text: str) -> bool:
    return bool(_SKIP_WORDS.search(normalize(text).replace("'", " ").replace("’", " ")))


def read_answer(
    step: Step,
    text: str,
    *,
    lang: str,
    today: date,
    labels: Sequence[str],
    zip_lookup: ZipLookup,
    keywords: KeywordTable,
) -> Reading:
    """The reply as an answer to `step`; a skip or command only when no answer fits."""
    if step.type == "text":
        # Any text is a valid answer, so the skip and the command are looked for first.
        near = keywords.near_command(fold(text))
        if near is not None:
            return Reading(command=near)
        if not step.required and means_skip(text) and len(text) <= 40:
            return Reading(skip=True)
    try:
        return Reading(
            value=parse_answer(
                step, text, lang=lang, today=today, labels=labels, zip_lookup=zip_lookup
            )
        )
    except ParseFailed as failure:
        if not step.required and means_skip(text):
            return Reading(skip=True)
        near = keywords.near_command(fold(text), typos=True)
        if near is not None:
            return Reading(command=near)
        return Reading(failure=failure.reason, guesses=failure.candidates)
