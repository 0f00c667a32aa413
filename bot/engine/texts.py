"""What the engine needs from i18n, as a protocol: lookups and formatting, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Protocol


def N_(message: str) -> str:
    """Mark a text for extraction; it is translated where it is shown."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark a text with a context (keywords, crisis words) for extraction."""
    return message


class Translator(Protocol):
    """Catalog lookups per locale; bot.i18n provides the Babel-backed one."""

    @property
    def locales(self) -> Sequence[str]: ...

    def gettext(self, locale: str, message: str) -> str: ...

    def pgettext(self, locale: str, context: str, message: str) -> str: ...

    def format_date(self, locale: str, value: date) -> str: ...

    def format_time(self, locale: str, value: time) -> str: ...

    def format_short_date(self, locale: str, value: date) -> str:
        """ "Tue, Mar 14": a day near enough that the year goes without saying."""
        ...

    def language_name(self, locale: str) -> str: ...
