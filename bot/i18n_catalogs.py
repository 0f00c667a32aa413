"""The catalog build: extract -> update -> compile, the same steps `pybabel` runs."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"
# Only our markers: translator.gettext(locale, ...) calls must not be taken for messages.
KEYWORDS = ("--no-default-keywords", "-k", "N_", "-k", "NP_:1c,2", "-k", "_", "-c", "Translators:")


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]


def extract(output: Path = TEMPLATE) -> None:
    """Collect every message id from Python, templates and flows into the .pot template.

    Runs from the repository root so locations are relative and the template is the same
    on every checkout.
    """
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        _pybabel(
            "extract",
            "-F",
            "babel.cfg",
            *KEYWORDS,
            "--sort-by-file",
            "--no-wrap",
            "--omit-header",
            "--project",
            "safe-start",
            "-o",
            str(output),
            ".",
        )
    finally:
        os.chdir(here)


def shipped_locales() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po"))


def update() -> None:
    """Merge the template into every shipped catalog (new ids appear untranslated)."""
    for locale in shipped_locales():
        _pybabel(
            "update",
            "-i",
            str(TEMPLATE),
            "-d",
            str(LOCALES),
            "-l",
            locale,
            "--no-wrap",
            "--ignore-obsolete",
            "--no-fuzzy-matching",
        )


def compile_all() -> None:
    """Compile every shipped .po to the .mo the app loads."""
    if shipped_locales():
        _pybabel("compile", "-d", str(LOCALES), "--statistics")
