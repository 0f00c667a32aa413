"""Shared-phone mode and names from outside the plan: a care-team organization or a local
service whose name says what it is for ("Hope Recovery Center", "Centro de Tratamiento") is
not texted to a shared phone, but named by its number. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from bot.engine import messages as m

# Words a person glancing at the phone must not read, per language (stems, lower case): the
# shared-phone promise (no substances, treatment, medication, pregnancy or child protection).
# A directory name may be in any language, so a name is checked against them all.
SENSITIVE_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "substance",
        "drug",
        "alcohol",
        "opioid",
        "narcan",
        "naloxone",
        "overdose",
        "treatment",
        "recovery",
        "medication",
        "medicine",
        "methadone",
        "buprenorphine",
        "suboxone",
        "naltrexone",
        "vivitrol",
        "pregnan",
        "prenatal",
        "withdrawal",
        "child protective",
        "cps",
        "dcf",
        "addiction",
        "rehab",
        "detox",
        "sober",
    ),
    "es": (
        "sustancia",
        "droga",
        "alcohol",
        "opioide",
        "narcan",
        "naloxona",
        "sobredosis",
        "tratamiento",
        "recuperaci",
        "medicamento",
        "medicina",
        "metadona",
        "buprenorfina",
        "suboxone",
        "naltrexona",
        "vivitrol",
        "embaraz",
        "prenatal",
        "abstinencia",
        "protección infantil",
        "adicci",
        "dependencia",
        "desintoxicaci",
        "rehabilitaci",
    ),
    "pt_BR": (
        "substância",
        "droga",
        "álcool",
        "opioide",
        "narcan",
        "naloxona",
        "overdose",
        "tratamento",
        "recuperação",
        "medicação",
        "medicamento",
        "remédio",
        "metadona",
        "buprenorfina",
        "suboxone",
        "naltrexona",
        "vivitrol",
        "gravidez",
        "grávida",
        "pré-natal",
        "abstinência",
        "conselho tutelar",
        "proteção à criança",
        "dependência",
        "vício",
        "reabilita",
        "desintoxica",
    ),
}


def fold(text: str) -> str:
    """Lower case without accents: "Clínica de Dependência" reads as the unaccented one."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _any_language() -> re.Pattern[str]:
    stems = sorted({fold(w) for words in SENSITIVE_WORDS.values() for w in words}, key=len)
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in reversed(stems)) + ")")


def says_sensitive(name: str) -> bool:
    """Does this name (in any shipped language, accents or not) say something a shared phone
    must not show?"""
    return _any_language().search(fold(name)) is not None


def organization_name(voice: Callable[..., Any], name: str, number: int, *, discreet: bool) -> str:
    """A directory organization as a text names it: on a shared phone, one whose name says
    what it is for by a number ("Organization 2"): its place in the directory (TeamView.order),
    the same in SHARING, the consent texts and MY RECORD."""
    if discreet and says_sensitive(name):
        return str(voice(m.ORGANIZATION_NUMBER, number=number))
    return name


def service_name(voice: Callable[..., Any], name: str, *, discreet: bool) -> str:
    """A local service from the resource directory: on a shared phone, one whose name says
    what it is for is "A local service" (its number and phone still pick and reach it)."""
    if discreet and says_sensitive(name):
        return str(voice(m.LOCAL_SERVICE))
    return name
