"""Reminders with directory names filled in: a care team may type an organization's name as
an appointment's place ("Hope Recovery Center", "Centro de Tratamiento Luz", "Clínica de
Dependência Vida"). Whatever phone, a reminder, an offer and the REMINDERS list name no
place and no health or substance word, unless the parent chose detailed reminders on a
phone of their own (a shared phone never gets them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.engine.discretion import says_sensitive
from bot.engine.session import SHARED_PHONE, Session
from bot.i18n import Catalogs
from bot.i18n_catalogs import shipped_locales
from bot.reminders.prefs import DETAILED, profile
from bot.reminders.rules import KINDS, wall
from bot.reminders.texts import render_list, render_offer, render_reminder

NOW = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)
PLACES = ("Hope Recovery Center", "Centro de Tratamiento Luz", "Clínica de Dependência Vida")
DAYS = (date(2027, 3, 8), date(2027, 3, 9), date(2027, 5, 20))


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs(("en", *shipped_locales()))


def parent(locale: str, *, shared: bool, detailed: bool) -> Session:
    session = Session(locale=locale)
    session.plan.prefs[SHARED_PHONE] = shared
    if detailed:
        session.plan.prefs[DETAILED] = True
    return session


def every_text(catalogs: Catalogs, session: Session) -> list[str]:
    """Each kind's reminder (today, tomorrow, later) at each place, its offer, and the list."""
    prof = profile(session, "America/New_York")
    texts = []
    for kind in KINDS:
        for day in DAYS:
            starts = wall(day, time(16, 30), prof.tz)
            for place in PLACES:
                texts.append(
                    render_reminder(
                        catalogs,
                        prof.locale,
                        kind=kind,
                        starts=starts,
                        tz=prof.tz,
                        now=NOW,
                        detailed=prof.detailed,
                        place=place,
                    )
                )
        texts.append(render_offer(catalogs, prof.locale, kind=kind, detailed=prof.detailed))
    items = [(kind, wall(DAYS[-1], time(9, 0), prof.tz)) for kind in KINDS]
    texts.append(render_list(catalogs, prof.locale, items, tz=prof.tz, detailed=prof.detailed)[0])
    return texts


@pytest.mark.parametrize("locale", ["en", *shipped_locales()])
@pytest.mark.parametrize(
    ("shared", "detailed"), [(False, False), (True, False), (True, True)], ids=str
)
def test_reminders_name_no_place_and_no_sensitive_word(
    catalogs: Catalogs, locale: str, shared: bool, detailed: bool
) -> None:
    """Discreet by default on any phone; on a shared phone even when detailed was chosen."""
    for text in every_text(catalogs, parent(locale, shared=shared, detailed=detailed)):
        assert not says_sensitive(text), text
        assert not any(place in text for place in PLACES), text


def test_the_check_finds_a_detailed_reminder(catalogs: Catalogs) -> None:
    """The same check on a parent's own phone with detailed reminders: the place shows."""
    texts = every_text(catalogs, parent("en", shared=False, detailed=True))
    assert any("Hope Recovery Center" in t for t in texts)
    assert any(says_sensitive(t) for t in texts)
