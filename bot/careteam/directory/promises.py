"""What the directory must hold for the bot's words to parents to be true, checked at load.

- "Your answers do not go to child protective services": no organization, member or endpoint
  whose id, name, title or URL host names a child protection agency (child_protection.yaml,
  per language).
- "I've told the person on call for your care team": every organization that can serve a
  parent (a service area), and the program's crisis_fallback, which is required, has an
  on-call endpoint subscribed to plan.crisis and plan.handoff_requested.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.careteam.directory.model import (
    CRISIS_EVENT,
    HANDOFF_EVENT,
    ON_CALL,
    Directory,
)
from bot.engine.discretion import fold

CHILD_PROTECTION_FILE = Path(__file__).with_name("child_protection.yaml")
# An alert the bot tells the parent about must reach an on-call person.
PROMISED_ALERTS = (CRISIS_EVENT, HANDOFF_EVENT)

Problem = tuple[tuple[Any, ...], str]


@cache
def _child_protection() -> re.Pattern[str]:
    names = yaml.safe_load(CHILD_PROTECTION_FILE.read_text(encoding="utf-8"))
    words = sorted({_plain(n) for listed in names.values() for n in listed}, key=len)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in reversed(words)) + r")\b")


def _plain(text: str) -> str:
    """Lower case, no accents, ids and hosts as words ("ct_dcf", "dcf.ct.gov": "ct dcf")."""
    return " ".join(re.sub(r"[_.\-/]+", " ", fold(text).replace("’", "'")).split())


def child_protection(text: str) -> str | None:
    """The child protection name `text` holds, or None."""
    found = _child_protection().search(_plain(text))
    return found[0] if found else None


def _named(d: Directory) -> Iterator[tuple[tuple[Any, ...], str]]:
    for i, o in enumerate(d.organizations):
        yield ("organizations", i, "id"), o.id
        yield ("organizations", i, "name"), o.name
    for i, m in enumerate(d.members):
        yield ("members", i, "name"), m.name
        yield ("members", i, "title"), m.title
    for i, e in enumerate(d.endpoints):
        yield ("endpoints", i, "id"), e.id
        yield ("endpoints", i, "url"), urlsplit(e.url).hostname or ""


def not_child_protection(d: Directory) -> list[Problem]:
    problems: list[Problem] = []
    for loc, text in _named(d):
        found = child_protection(text)
        if found is not None:
            problems.append(
                (
                    loc,
                    f"{text!r} names a child protection agency ({found!r}): parents are told "
                    "their answers do not go to child protective services",
                )
            )
    return problems


def on_call_everywhere(d: Directory) -> list[Problem]:
    fallback = d.program.crisis_fallback
    if fallback is None:
        return [
            (
                ("program", "crisis_fallback"),
                "crisis_fallback is required: the on-call of this organization hears of a "
                "crisis before the parent's organizations are known",
            )
        ]
    problems: list[Problem] = []
    for i, o in enumerate(d.organizations):
        serves = bool(o.service_area.zip_prefixes or o.service_area.states)
        if not serves and o.id != fallback:
            continue
        missing = [
            event
            for event in PROMISED_ALERTS
            if not any(
                e.organization == o.id and e.subscribes(event) and ON_CALL in d.endpoint_roles(e)
                for e in d.endpoints
            )
        ]
        if missing:
            problems.append(
                (
                    ("organizations", i, "id"),
                    f"no on-call endpoint of {o.id!r} takes {', '.join(missing)}: parents "
                    "are told the person on call hears of a crisis or a request for a person",
                )
            )
    return problems
