"""Reminder texts: discreet in every shipped language, worded for the day they are sent."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import LOCALES_DIR, Catalogs
from bot.reminders import texts
from bot.reminders.rules import KINDS, wall
from bot.reminders.texts import LIST_MAX, fits, render_list, render_offer, render_reminder

NY = ZoneInfo("America/New_York")

# Words that must never show on a lock screen unless the parent chose detailed reminders.
# A trailing * matches any ending; matching ignores case and accents are written out.
FORBIDDEN = [
    "pregnan*",
    "embaraz*",
    "grávid*",
    "gravid*",
    "gestante",
    "prenatal",
    "pré-natal",
    "postpartum",
    "posparto",
    "pós-parto",
    "parto",
    "baby",
    "babies",
    "bebé",
    "bebe",
    "bebê",
    "bebês",
    "infant*",
    "newborn",
    "recién nacido",
    "recém-nascido",
    "pediatr*",
    "checkup",
    "check-up",
    "treatment",
    "tratamiento",
    "tratamento",
    "therap*",
    "terapia",
    "methadone",
    "metadona",
    "suboxone",
    "buprenorphine",
    "buprenorfina",
    "naloxone",
    "naloxona",
    "narcan",
    "opioid*",
    "opiáceo*",
    "drug*",
    "droga*",
    "substance*",
    "sustancia*",
    "substância*",
    "alcohol",
    "álcool",
    "recovery",
    "recuperación",
    "recuperação",
    "sober*",
    "rehab*",
    "detox",
    "clinic*",
    "clínica*",
    "doctor*",
    "médic*",
    "medic*",
    "nurse",
    "health",
    "salud",
    "saúde",
    "hospital",
    "WIC",
    "counsel*",
    "consejer*",
    "aconselhamento",
    "meeting*",
    "reunión",
    "reunião",
    "dosing",
    "dose",
    "pharmacy",
    "farmacia",
    "farmácia",
    "visit*",
    "consulta",
    "cps",
]
_PATTERN = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(w).replace(r"\*", r"\w*") for w in FORBIDDEN) + r")(?![\w])",
    re.IGNORECASE,
)


def shipped() -> list[str]:
    found = sorted(p.parent.parent.name for p in Path(LOCALES_DIR).glob("*/LC_MESSAGES/*.po"))
    return ["en", *[loc for loc in found if loc != "en"]]


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs(tuple(shipped()))


def forbidden_in(text: str) -> list[str]:
    return [m.group(0) for m in _PATTERN.finditer(text)]


def test_the_word_list_catches_what_it_should() -> None:
    """The checker itself: it finds the words, in any case, and not inside other words."""
    assert forbidden_in("Your PRENATAL visit") == ["PRENATAL", "visit"]
    assert forbidden_in("Tu cita con el médico") == ["médico"]
    assert forbidden_in("Reply C to confirm") == []
    assert forbidden_in("a bebedero") == []


@pytest.mark.parametrize("locale", shipped())
def test_discreet_templates_have_no_forbidden_words(catalogs: Catalogs, locale: str) -> None:
    """Every discreet template, as translated in each shipped catalog, is lock-screen safe."""
    for msgid in texts.DISCREET:
        assert forbidden_in(catalogs.gettext(locale, msgid)) == [], (locale, msgid)


@pytest.mark.parametrize("locale", shipped())
def test_rendered_discreet_reminders_have_no_forbidden_words(
    catalogs: Catalogs, locale: str
) -> None:
    """Whole texts too (dates, times, kinds, a place given): the kind and place never show."""
    now = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)
    for kind in KINDS:
        for day in (date(2027, 3, 8), date(2027, 3, 9), date(2027, 5, 20), date(2027, 12, 1)):
            text = render_reminder(
                catalogs,
                locale,
                kind=kind,
                starts=wall(day, time(16, 30), NY),
                tz=NY,
                now=now,
                place="Recovery Clinic, 12 Main St",
            )
            assert forbidden_in(text) == [], (locale, text)
            assert "Main St" not in text
        assert forbidden_in(render_offer(catalogs, locale, kind=kind)) == []


def test_detailed_reminders_name_the_kind_and_place(catalogs: Catalogs) -> None:
    """Only a parent who chose detailed reminders sees what and where."""
    text = render_reminder(
        catalogs,
        "en",
        kind="prenatal_visit",
        starts=wall(date(2027, 3, 9), time(10, 30), NY),
        tz=NY,
        now=datetime(2027, 3, 8, 15, 0, tzinfo=UTC),
        detailed=True,
        place=" 12  Main St ",
    )
    assert text == (
        "Reminder: your prenatal visit is tomorrow, Tue, Mar 9 at 10:30 AM. "
        "Reply C to confirm, R to reschedule. Where: 12 Main St."
    )


def test_the_issue_example_word_for_word(catalogs: Catalogs) -> None:
    """The issue's example, on the day before a Tuesday 10:30 appointment."""
    text = render_reminder(
        catalogs,
        "en",
        kind="treatment",
        starts=wall(date(2028, 3, 14), time(10, 30), NY),
        tz=NY,
        now=wall(date(2028, 3, 13), time(18, 0), NY),
    )
    assert text == (
        "Reminder: your appointment is tomorrow, Tue, Mar 14 at 10:30 AM. "
        "Reply C to confirm, R to reschedule."
    )


def test_today_and_later_are_worded_by_the_parents_calendar(catalogs: Catalogs) -> None:
    """'today' on the day, 'on <date>' further out; the parent's zone decides the day."""
    starts = wall(date(2027, 3, 9), time(9, 0), NY)
    same_day = render_reminder(
        catalogs,
        "en",
        kind="other",
        starts=starts,
        tz=NY,
        now=wall(date(2027, 3, 9), time(6, 0), NY),
    )
    assert same_day.startswith("Reminder: your appointment is today at 9:00 AM.")
    ahead = render_reminder(
        catalogs,
        "en",
        kind="other",
        starts=starts,
        tz=NY,
        now=wall(date(2027, 3, 6), time(12, 0), NY),
    )
    assert ahead.startswith("Reminder: your appointment is on Tue, Mar 9 at 9:00 AM.")


def test_english_reminders_fit_one_gsm_segment(catalogs: Catalogs) -> None:
    """Discreet English reminders stay in one 160-character GSM-7 segment."""
    gsm = set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOP"
        "QRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    starts = wall(date(2027, 9, 22), time(10, 30), NY)
    for now in (
        wall(date(2027, 9, 22), time(9, 0), NY),
        wall(date(2027, 9, 21), time(9, 0), NY),
        wall(date(2027, 9, 12), time(9, 0), NY),
    ):
        text = render_reminder(catalogs, "en", kind="other", starts=starts, tz=NY, now=now)
        assert set(text) <= gsm, text
        assert len(text) <= 160, text
    assert len(render_offer(catalogs, "en", kind="other")) <= 160


@pytest.mark.parametrize("locale", shipped())
def test_rendered_lists_are_discreet_and_fit_their_budget(catalogs: Catalogs, locale: str) -> None:
    """The REMINDERS list of every kind: no kind words unless detailed, and never past 2 GSM-7
    (4 UCS-2) segments, however many are coming and however long the kind's words."""
    now = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)
    items = [(kind, now + timedelta(days=n, hours=n)) for n, kind in enumerate(sorted(KINDS))]
    text, shown = render_list(catalogs, locale, items, tz=NY)
    assert shown == LIST_MAX
    assert forbidden_in(text) == [], (locale, text)
    assert fits(text), text
    for kind in KINDS:
        detailed, shown = render_list(catalogs, locale, [(kind, now)] * 9, tz=NY, detailed=True)
        assert catalogs.gettext(locale, texts.WHAT[kind]) in detailed
        assert fits(detailed), detailed
        assert 1 <= shown <= LIST_MAX
    for single in (texts.CANCELLED, texts.NOT_FOUND.format(number=12), texts.LIST_EMPTY):
        assert fits(catalogs.gettext(locale, single))


def test_every_template_is_extracted_for_translators(tmp_path: Path) -> None:
    """Every reminder text is marked for extraction, so it reaches locales/messages.pot
    (tests/i18n checks the committed template is what extraction makes) and every catalog."""
    from babel.messages.pofile import read_po

    from bot.i18n_catalogs import extract

    fresh = tmp_path / "messages.pot"
    extract(fresh)
    with fresh.open("rb") as handle:
        ids = {message.id for message in read_po(handle)}
    wanted = {*texts.DISCREET, *texts.DETAILED, *texts.WHAT.values()}
    assert wanted <= ids, wanted - ids
