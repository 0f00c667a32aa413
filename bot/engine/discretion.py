"""Shared-phone mode and names from outside the plan: a care-team organization is texted to a
shared phone by its number only, and a local service whose name says what it is for ("Hope
Recovery Center", "Centro de Tratamiento") as "A local service". Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from bot.engine import messages as m

# Words a person glancing at the phone must not read, per language (stems, lower case): the
# shared-phone promise (no substances, treatment, medication, pregnancy or child protection),
# and what names them sideways (birth control, a pain plan for birth, an abuse hotline).
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
        # Pregnancy and birth, named by what a read-back or a need calls them.
        "birth control",
        "contracept",
        "pain plan",
        "postpartum",
        "midwife",
        # Abuse (a crisis reply still gives the hotline: the parent wrote first).
        "domestic violence",
        "abuse",
        # The substance-use records law, by its name (DETAILS and MY PLAN's page may say it).
        "42 cfr",
        "part 2",
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
        "anticoncep",
        "control de natalidad",
        "plan para el dolor",
        "dolor del parto",
        "posparto",
        "partera",
        "violencia doméstica",
        "abuso",
        "42 cfr",
        "part 2",
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
        "anticoncep",
        "contracep",
        "plano para a dor",
        "dor no parto",
        "pós-parto",
        "parteira",
        "violência doméstica",
        "abuso",
        "42 cfr",
        "part 2",
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
    """A directory organization as a text names it: on a shared phone, every one by a number
    ("Organization 2"), its place in the directory (TeamView.order), the same in SHARING, the
    consent texts and MY RECORD. Not only those whose name says treatment: a name like
    "... Behavioral Health" or a hospital's says enough, and no word list knows every name.
    DETAILS and MY PLAN's private page name them."""
    if discreet:
        return str(voice(m.ORGANIZATION_NUMBER, number=number))
    return name


def service_name(voice: Callable[..., Any], name: str, *, discreet: bool) -> str:
    """A local service from the resource directory: on a shared phone, one whose name says
    what it is for is "A local service" (its number and phone still pick and reach it)."""
    if discreet and says_sensitive(name):
        return str(voice(m.LOCAL_SERVICE))
    return name
