"""Babel catalogs per locale, date and time formatting in the parent's language."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import date, time
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.dates import format_time as babel_format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.errors import ConfigError

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SOURCE_LOCALE = "en"
log = logging.getLogger(__name__)


def _load(directory: Path, locale: str) -> NullTranslations:
    """The compiled catalog; a .po newer than its .mo is compiled in memory instead."""
    po = directory / locale / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return Translations(handle)
    if po.exists():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(buffer)
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    raise ConfigError(f"no catalog for locale {locale!r} in {directory}")


class Catalogs:
    """The Translator the engine uses: every shipped locale loaded once."""

    def __init__(self, locales: Sequence[str] = (SOURCE_LOCALE,), directory: Path = LOCALES_DIR):
        self._locales = tuple(dict.fromkeys([SOURCE_LOCALE, *locales]))
        self._translations = {loc: _load(directory, loc) for loc in self._locales}
        # Texts repeat on every message; one dict lookup beats gettext's fallback chain.
        self._texts: dict[tuple[str, str], str] = {}

    @property
    def locales(self) -> Sequence[str]:
        return self._locales

    def _for(self, locale: str) -> NullTranslations:
        return self._translations.get(locale) or self._translations[SOURCE_LOCALE]

    def gettext(self, locale: str, message: str) -> str:
        key = (locale, message)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._for(locale).gettext(message)
        return text

    def pgettext(self, locale: str, context: str, message: str) -> str:
        return str(self._for(locale).pgettext(context, message))

    def format_date(self, locale: str, value: date) -> str:
        return _format_date(locale, value)

    def format_time(self, locale: str, value: time) -> str:
        return _format_time(locale, value)

    def format_short_date(self, locale: str, value: date) -> str:
        return short_date(locale, value)

    def language_name(self, locale: str) -> str:
        return _language_name(locale)


@lru_cache(maxsize=4096)
def _format_date(locale: str, value: date) -> str:
    return babel_format_date(value, format="full", locale=locale).translate(_SMS_SPACES)


# CLDR puts narrow no-break spaces in times ("10:30\u202fAM"); in a text they would force
# the whole message into UCS-2 segments, so they become plain spaces.
_SMS_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


@lru_cache(maxsize=4096)
def _format_time(locale: str, value: time) -> str:
    return babel_format_time(value, format="short", locale=locale).translate(_SMS_SPACES)


@lru_cache(maxsize=4096)
def short_date(locale: str, value: date) -> str:
    """ "Tue, Mar 14" in the parent's language (a CLDR skeleton, grammatical in es/pt)."""
    return str(format_skeleton("MMMEd", value, locale=locale)).translate(_SMS_SPACES)


@lru_cache(maxsize=64)
def _language_name(locale: str) -> str:
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]
