"""Field readers: service areas, language codes, phone numbers, opening hours."""

from __future__ import annotations

import pytest

from bot.resources.areas import parse_areas
from bot.resources.languages import language_code
from bot.resources.model import county_key, language_of
from bot.resources.values import Opening, hours_text, phone_number, short_description, weekdays


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CT", [("CT", None)]),
        ("wyoming", [("WY", None)]),
        ("Hartford County, CT", [("CT", "Hartford")]),
        ("New  Haven, Connecticut", [("CT", "New Haven")]),
        ("Laramie County, WY; Natrona County, WY", [("WY", "Laramie"), ("WY", "Natrona")]),
        ("US", None),
        ("CT\nUnited States", None),
        ("", []),
    ],
)
def test_service_areas(text: str, expected: list[tuple[str, str | None]] | None) -> None:
    """States by code or name, counties with their state, and the whole country."""
    assert parse_areas(text) == expected


@pytest.mark.parametrize("text", ["Greater Hartford", "Hartford County", "06103", "County, CT"])
def test_unreadable_areas_are_refused(text: str) -> None:
    """A town, a county with no state, a ZIP code: each is named in the error."""
    with pytest.raises(ValueError, match="is not a state"):
        parse_areas(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [("es", "es"), ("spa", "es"), ("Spanish", "es"), ("pt-BR", "pt"), ("Português", "pt"),
     ("Haitian Creole", "ht"), ("ENG", "en"), ("Klingon", None), ("", None)],
)  # fmt: skip
def test_language_codes(text: str, code: str | None) -> None:
    """ISO 639-1 from 639-1, 639-2/3 codes and names; None for what is not known."""
    assert language_code(text) == code


def test_locales_and_counties_fold() -> None:
    """A locale gives its language; a county compares without "County" and case."""
    assert [language_of(x) for x in ("pt_BR", "es", "en-US")] == ["pt", "es", "en"]
    assert county_key("New  Haven County") == county_key("new haven") == "new haven"


@pytest.mark.parametrize(
    ("number", "extension", "expected"),
    [
        ("(860) 555-0142", "", ("+18605550142", "")),
        ("1-800-555-0199", "", ("+18005550199", "")),
        ("860.555.0147 ext. 2", "", ("+18605550147", "2")),
        ("860-555-0147", "12", ("+18605550147", "12")),
        ("211", "", ("211", "")),
        ("1-800-TLC-MAMA", "", ("1-800-TLC-MAMA", "")),
    ],
)
def test_phone_numbers(number: str, extension: str, expected: tuple[str, str]) -> None:
    """US numbers become E.164, extensions are split off, anything else stays as written."""
    assert phone_number(number, extension) == expected


def test_hours_are_short_and_grouped() -> None:
    """Days with the same times are grouped into ranges; notes stand where there are no times."""
    rows = [
        Opening(weekdays("MO,TU,WE,TH,FR"), "09:00", "17:00"),
        Opening(weekdays("SA"), "10:00-05:00", "13:30Z"),
        Opening(note="Closed on holidays"),
    ]
    assert hours_text(rows) == "Mon-Fri 9am-5pm; Sat 10am-1:30pm; Closed on holidays"
    assert hours_text([Opening(weekdays("Monday Wednesday"), "18:00", "20:00")]) == (
        "Mon, Wed 6pm-8pm"
    )
    every_day = weekdays("MO,TU,WE,TH,FR,SA,SU")
    assert hours_text([Opening(every_day, "00:00", "23:59")]) == "Every day 24 hours"
    with pytest.raises(ValueError, match="not a day"):
        weekdays("XX")


def test_descriptions_are_cut_at_a_word() -> None:
    """A long description is cut before the limit at a word, with "..." after."""
    text = "word " * 100
    short = short_description(text, limit=40)
    assert len(short) <= 40
    assert short.endswith("word...")
    assert short_description("  two\n lines ") == "two lines"
