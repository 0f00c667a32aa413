"""Catalog gates: the template is current, every locale complete, placeholders kept, texts short."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot import i18n_catalogs
from bot.engine.machine import Engine
from bot.engine.render import Voice
from bot.engine.segments import encoding, segment_count
from tests.engine.test_content import FILL, engine_messages

LOCALES = i18n_catalogs.shipped_locales()
# GSM-7 texts get 2 segments. Spanish and Portuguese letters (á í ó ú ã ç ê) force UCS-2,
# where a segment holds 67-70 characters: those texts get 4 segments (268 characters), the
# same room as 2 GSM-7 segments, budgeted honestly rather than dropping accents.
BUDGET = {"GSM-7": 2, "UCS-2": 4}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}|%\((\w+)\)s")


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def catalog(locale: str) -> Catalog:
    return read(i18n_catalogs.LOCALES / locale / "LC_MESSAGES" / "messages.po")


def ids(cat: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, str(m.id)) for m in cat if m.id}


def within_budget(text: str) -> bool:
    return segment_count(text) <= BUDGET[encoding(text)]


def test_locales_ship_beyond_english() -> None:
    """Spanish and a third language (Brazilian Portuguese) ship."""
    assert {"es", "pt_BR"} <= set(LOCALES)


def test_template_is_what_extraction_makes(tmp_path: Path) -> None:
    """Extracting on this checkout gives exactly the committed template: no new or stale ids."""
    fresh = tmp_path / "messages.pot"
    i18n_catalogs.extract(fresh)
    committed = ids(read(i18n_catalogs.TEMPLATE))
    extracted = ids(read(fresh))
    assert extracted - committed == set(), "new ids: run `python -m bot i18n all`"
    assert committed - extracted == set(), "stale ids: run `python -m bot i18n all`"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_id_is_translated(locale: str) -> None:
    """Every id of the template is in the catalog, translated, not fuzzy."""
    cat = catalog(locale)
    template = ids(read(i18n_catalogs.TEMPLATE))
    assert template - ids(cat) == set(), "catalog is missing ids: run `python -m bot i18n all`"
    untranslated = [m.id for m in cat if m.id and (not m.string or m.fuzzy)]
    assert not untranslated


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_are_kept(locale: str) -> None:
    """A translation uses exactly the placeholders of its source text."""
    changed = [
        (m.id, m.string)
        for m in catalog(locale)
        if m.id and set(_PLACEHOLDER.findall(str(m.id))) != set(_PLACEHOLDER.findall(str(m.string)))
    ]
    assert not changed


def fill(text: str) -> str:
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    return text.format(**{n: FILL[n] for n in names})


@pytest.mark.parametrize("locale", LOCALES)
def test_translated_texts_fit_their_budget(locale: str, i18n_engine: Engine) -> None:
    """Each translated question (with its choices) and system text fits its segment budget."""
    voice = Voice(i18n_engine.translator, locale, FILL["program"], FILL["plan"], FILL["name"])
    over: dict[str, int] = {}
    for flow in i18n_engine.flows.flows.values():
        for step in flow.steps:
            text = voice.question(step)
            if not within_budget(text):
                over[f"{flow.id}.{step.id}"] = segment_count(text)
    for name, message in engine_messages().items():
        text = fill(i18n_engine.translator.gettext(locale, message))
        if not within_budget(text):
            over[name] = segment_count(text)
    assert not over, f"{locale}: over budget {over}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_not_english(locale: str) -> None:
    """Most texts really are translated (an untouched copy of English would pass the rest)."""
    cat = catalog(locale)
    texts = [m for m in cat if m.id and m.context is None and len(str(m.id)) > 25]
    same = [m.id for m in texts if m.string == m.id]
    assert len(same) <= len(texts) // 20, same
