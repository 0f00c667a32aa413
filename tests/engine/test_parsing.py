"""Tests for bot.engine.parsing: table-driven forms in en/es/pt plus never-crash properties."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.parsing import (
    Option,
    ParseFailed,
    normalize,
    parse_choice,
    parse_date,
    parse_int,
    parse_multi,
    parse_phone,
    parse_text,
    parse_time,
    parse_yes_no,
    parse_zip,
)

TODAY = date(2026, 11, 23)  # a Monday
FAST = settings(max_examples=300, deadline=None)

HOUSING = (
    Option("stable", ("Yes, a steady place",)),
    Option("temporary", ("Yes, but it's temporary",), ("temp", "temporal")),
    Option("none", ("No",), ("homeless", "sin casa")),
)
SUPPORTS = (
    Option("partner", ("Partner",), ("pareja", "parceiro")),
    Option("family", ("Family",), ("familia",)),
    Option("friends", ("Friends",), ("amigos",)),
    Option("sponsor", ("Sponsor",)),
    Option("parents", ("Mom and Dad",)),
)

# Any unicode, including control characters, surrogate-free emoji and long runs.
ANY_TEXT = st.one_of(
    st.text(max_size=2000),
    st.text(st.characters(codec="utf-8"), max_size=200),
    st.text(
        st.sampled_from(list("0123456789 /-:.,#apmAPM\n\t\x00\x7f👍👎😀🏽\u200d\u0301éñã")),
        max_size=40,
    ),
)


def _fails(call: Callable[[], object]) -> str:
    with pytest.raises(ParseFailed) as info:
        call()
    return info.value.reason


# ------------------------------------------------------------------ normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Sí!! ", "si"),
        ("PRÓXIMO", "proximo"),
        ("¿Mañana?", "manana"),
        ("a\n\tb   c", "a b c"),
        ("ＹＥＳ", "yes"),
        ("👍🏽", "👍"),
        ("", ""),
        ("...", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_parse_failed_is_value_error_with_reason() -> None:
    err = ParseFailed("empty")
    assert isinstance(err, ValueError)
    assert err.reason == "empty"


# ------------------------------------------------------------------ yes / no

YES = [
    "y",
    "Yes",
    "YES!",
    "yeah",
    "yep",
    "yup",
    "ya",
    "sure",
    "ok",
    "Okay.",
    "1",
    "si",
    "Sí",
    "claro",
    "s",
    "sim",
    "Sim!",
    "correct",
    "right",
    "yes please",
    "👍",
    "👍🏽",
    "yes I do",
    "Si, claro",
]
NO = [
    "n",
    "no",
    "No.",
    "nope",
    "nah",
    "2",
    "não",
    "nao",
    "no thanks",
    "not really",
    "👎",
    "no gracias",
    "no, not yet",
    "Não, obrigada",
]


@pytest.mark.parametrize("text", YES)
def test_yes(text: str) -> None:
    assert parse_yes_no(text, "en") is True


@pytest.mark.parametrize("text", NO)
def test_no(text: str) -> None:
    assert parse_yes_no(text, "es") is False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("maybe", "not_understood"),
        ("no sé", "not_understood"),
        ("not sure", "not_understood"),
        ("banana", "not_understood"),
        ("3", "not_understood"),
        ("yes and no", "ambiguous"),
        ("sí o no", "ambiguous"),
    ],
)
def test_yes_no_fails(text: str, reason: str) -> None:
    assert _fails(lambda: parse_yes_no(text, "pt")) == reason


# ------------------------------------------------------------------ choice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "stable"),
        ("2", "temporary"),
        ("#2", "temporary"),
        ("2.", "temporary"),
        ("option 2", "temporary"),
        ("Opción 3", "none"),
        ("opção 1", "stable"),
        (" 3 ", "none"),
        ("Yes, a steady place", "stable"),
        ("yes a steady place!", "stable"),
        ("steady", "stable"),
        ("STEA", "stable"),
        ("temporary", "temporary"),
        ("temp", "temporary"),
        ("temporal", "temporary"),
        ("no", "none"),
        ("No.", "none"),
        ("homeless", "none"),
        ("sin casa", "none"),
        ("two", "temporary"),
        ("dos", "temporary"),
        ("2. Yes, but it's temporary", "temporary"),
        ("1) steady", "stable"),
    ],
)
def test_choice(text: str, expected: str) -> None:
    assert parse_choice(text, HOUSING, "en") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("0", "out_of_range"),
        ("4", "out_of_range"),
        ("#99", "out_of_range"),
        ("yes", "ambiguous"),
        ("1. temporary", "ambiguous"),
        ("1 and 3", "ambiguous"),
        ("banana", "not_understood"),
        ("st", "not_understood"),
        ("none", "not_understood"),
    ],
)
def test_choice_fails(text: str, reason: str) -> None:
    assert _fails(lambda: parse_choice(text, HOUSING, "en")) == reason


# ------------------------------------------------------------------ multi


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("1, 3", "en", ["partner", "friends"]),
        ("3, 1", "en", ["partner", "friends"]),
        ("1 and 3", "en", ["partner", "friends"]),
        ("1 y 3", "es", ["partner", "friends"]),
        ("1 e 3", "pt", ["partner", "friends"]),
        ("1 3", "en", ["partner", "friends"]),
        ("1,1,2", "en", ["partner", "family"]),
        ("2", "en", ["family"]),
        ("family", "en", ["family"]),
        ("familia y amigos", "es", ["family", "friends"]),
        ("parceiro e amigos", "pt", ["partner", "friends"]),
        ("partner, sponsor & friends", "en", ["partner", "friends", "sponsor"]),
        ("mom and dad", "en", ["parents"]),
        ("#1, option 4", "en", ["partner", "sponsor"]),
    ],
)
def test_multi(text: str, lang: str, expected: list[str]) -> None:
    assert parse_multi(text, SUPPORTS, lang) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("13", "out_of_range"),
        ("1, 9", "out_of_range"),
        ("1, pizza", "not_understood"),
        ("& and", "not_understood"),
    ],
)
def test_multi_fails(text: str, reason: str) -> None:
    assert _fails(lambda: parse_multi(text, SUPPORTS, "en")) == reason


def test_multi_thirteen_with_enough_options() -> None:
    many = tuple(Option(f"v{i}", (f"label {i}",)) for i in range(1, 14))
    assert parse_multi("13", many, "en") == ["v13"]


# ------------------------------------------------------------------ dates

DATES = [
    ("3/14", "en", date(2027, 3, 14)),  # closer than 2026-03-14
    ("10/1", "en", date(2026, 10, 1)),  # closer than 2027-10-01
    ("3/14/27", "en", date(2027, 3, 14)),
    ("3/14/2027", "en", date(2027, 3, 14)),
    ("2027-03-14", "en", date(2027, 3, 14)),
    ("March 14", "en", date(2027, 3, 14)),
    ("Mar 14", "en", date(2027, 3, 14)),
    ("14 March", "en", date(2027, 3, 14)),
    ("march 14th", "en", date(2027, 3, 14)),
    ("March 14, 2027", "en", date(2027, 3, 14)),
    ("Dec 1", "en", date(2026, 12, 1)),
    ("today", "en", TODAY),
    ("Tomorrow!", "en", date(2026, 11, 24)),
    ("yesterday", "en", date(2026, 11, 22)),
    ("next Tuesday", "en", date(2026, 11, 24)),
    ("Tuesday", "en", date(2026, 11, 24)),
    ("monday", "en", date(2026, 11, 30)),  # same weekday as today → next week
    ("last friday", "en", date(2026, 11, 20)),
    ("in 2 weeks", "en", date(2026, 12, 7)),
    ("in 3 days", "en", date(2026, 11, 26)),
    ("in a month", "en", date(2026, 12, 23)),
    ("in two months", "en", date(2027, 1, 23)),
    ("2 weeks ago", "en", date(2026, 11, 9)),
    ("3 days ago", "en", date(2026, 11, 20)),
    ("14/3", "es", date(2027, 3, 14)),
    ("14/03/2027", "es", date(2027, 3, 14)),
    ("14 de marzo", "es", date(2027, 3, 14)),
    ("14 de marzo de 2027", "es", date(2027, 3, 14)),
    ("hoy", "es", TODAY),
    ("mañana", "es", date(2026, 11, 24)),
    ("ayer", "es", date(2026, 11, 22)),
    ("el próximo martes", "es", date(2026, 11, 24)),
    ("martes", "es", date(2026, 11, 24)),
    ("en 2 semanas", "es", date(2026, 12, 7)),
    ("dentro de 3 días", "es", date(2026, 11, 26)),
    ("hace 2 semanas", "es", date(2026, 11, 9)),
    ("14/3", "pt", date(2027, 3, 14)),
    ("14 de março", "pt", date(2027, 3, 14)),
    ("hoje", "pt", TODAY),
    ("amanhã", "pt", date(2026, 11, 24)),
    ("ontem", "pt", date(2026, 11, 22)),
    ("próxima terça", "pt", date(2026, 11, 24)),
    ("terça-feira", "pt", date(2026, 11, 24)),
    ("em 2 semanas", "pt", date(2026, 12, 7)),
    ("daqui a 3 dias", "pt", date(2026, 11, 26)),
    ("há 2 semanas", "pt", date(2026, 11, 9)),
    ("3/14", "fr", date(2027, 3, 14)),  # unknown language → English M/D
    ("14/3", "es-MX", date(2027, 3, 14)),
]


@pytest.mark.parametrize(("text", "lang", "expected"), DATES)
def test_date(text: str, lang: str, expected: date) -> None:
    assert parse_date(text, TODAY, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang", "reason"),
    [
        ("", "en", "empty"),
        ("2/30", "en", "not_understood"),
        ("14/3", "en", "not_understood"),
        ("2/30/2027", "en", "not_understood"),
        ("soon", "en", "not_understood"),
        ("in 9999 years", "en", "not_understood"),
        ("32 de marzo", "es", "not_understood"),
    ],
)
def test_date_fails(text: str, lang: str, reason: str) -> None:
    assert _fails(lambda: parse_date(text, TODAY, lang)) == reason


def test_jan_31_plus_a_month_clamps() -> None:
    assert parse_date("in 1 month", date(2027, 1, 31), "en") == date(2027, 2, 28)


# ------------------------------------------------------------------ times

TIMES = [
    ("10", time(10)),
    ("3", time(15)),
    ("7", time(19)),
    ("8", time(8)),
    ("12", time(12)),
    ("10am", time(10)),
    ("10 am", time(10)),
    ("10 a.m.", time(10)),
    ("10:30 pm", time(22, 30)),
    ("10:30p", time(22, 30)),
    ("22:00", time(22)),
    ("07:00", time(7)),
    ("12am", time(0)),
    ("12 pm", time(12)),
    ("noon", time(12)),
    ("midnight", time(0)),
    ("at 3pm", time(15)),
    ("10 in the morning", time(10)),
    ("3 in the afternoon", time(15)),
    ("3 de la tarde", time(15)),
    ("10 de la mañana", time(10)),
    ("mediodía", time(12)),
    ("3:30 pm", time(15, 30)),
    ("las 3", time(15)),
    ("a las 9 de la noche", time(21)),
    ("3 da tarde", time(15)),
    ("10 da manhã", time(10)),
    ("meio-dia", time(12)),
    ("às 15h", time(15)),
    ("10h30", time(10, 30)),
    ("3 o'clock", time(15)),
    ("1030", time(10, 30)),
    ("half past 2", time(14, 30)),
    ("quarter to 4", time(15, 45)),
    ("3 y media", time(15, 30)),
    ("a las 4 menos cuarto", time(15, 45)),
    ("meio dia e meia", time(12, 30)),
    ("ten thirty", time(10, 30)),
    ("dec 12 at 10:30am", time(10, 30)),
    ("el 12 de diciembre a las 3", time(15)),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_time(text: str, expected: time) -> None:
    assert parse_time(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("25:00", "out_of_range"),
        ("10:75", "out_of_range"),
        ("13am", "not_understood"),
        ("lunch", "not_understood"),
        ("10 am in the afternoon", "ambiguous"),
    ],
)
def test_time_fails(text: str, reason: str) -> None:
    assert _fails(lambda: parse_time(text, "es")) == reason


# ------------------------------------------------------------------ phone, zip, int, text


@pytest.mark.parametrize(
    "text",
    [
        "(860) 555-0123",
        "860-555-0123",
        "860.555.0123",
        "+1 860 555 0123",
        "8605550123",
        "１８６０５５５０１２３",
    ],
)
def test_phone(text: str) -> None:
    assert parse_phone(text) == "+18605550123"


def test_phone_other_region() -> None:
    assert parse_phone("020 7946 0958", "GB") == "+442079460958"


@pytest.mark.parametrize(
    ("text", "reason"), [("", "empty"), ("555-0123", "invalid"), ("hello", "not_understood")]
)
def test_phone_fails(text: str, reason: str) -> None:
    assert _fails(lambda: parse_phone(text)) == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06103", "06103"),
        (" 06103-1234 ", "06103"),
        ("06103.", "06103"),
        ("CT 06103", "06103"),
        ("my zip is 06103", "06103"),
        ("06 103", "06103"),
    ],
)
def test_zip(text: str, expected: str) -> None:
    assert parse_zip(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("0610", "not_understood"),
        ("061034", "not_understood"),
        ("06103 or 06106", "not_understood"),
        ("٠٦١٠٣", "not_understood"),
    ],
)
def test_zip_fails(text: str, reason: str) -> None:
    assert _fails(lambda: parse_zip(text)) == reason


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("3", "en", 3),
        ("0", "en", 0),
        ("none", "en", 0),
        ("zero", "en", 0),
        ("ten", "en", 10),
        ("two kids", "en", 2),
        ("2 kids", "en", 2),
        ("ninguno", "es", 0),
        ("cero", "es", 0),
        ("tres", "es", 3),
        ("diez", "es", 10),
        ("nenhum", "pt", 0),
        ("dois", "pt", 2),
        ("dez", "pt", 10),
        ("７", "en", 7),
    ],
)
def test_int(text: str, lang: str, expected: int) -> None:
    assert parse_int(text, lang, 0, 10) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("11", "out_of_range"),
        ("-1", "out_of_range"),
        ("2 or 3", "ambiguous"),
        ("lots", "not_understood"),
        ("9" * 5000, "out_of_range"),
    ],
)
def test_int_fails(text: str, reason: str) -> None:
    assert _fails(lambda: parse_int(text, "en", 0, 10)) == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  hi  there ", "hi there"),
        ("line one\nline two", "line one line two"),
        ("tab\tbell\x07end", "tab bell end"),
        ("Café 👨\u200d👩\u200d👧", "Café 👨\u200d👩\u200d👧"),
        ("a\u202eb", "ab"),
    ],
)
def test_text(text: str, expected: str) -> None:
    assert parse_text(text, 100) == expected


def test_text_fails() -> None:
    assert _fails(lambda: parse_text(" \n\t\x00 ", 10)) == "empty"
    assert _fails(lambda: parse_text("x" * 11, 10)) == "too_long"
    assert parse_text("x" * 10, 10) == "x" * 10


# ------------------------------------------------------------------ properties: never crash


def _only_parse_failed(call: Callable[[], object], kind: type) -> None:
    try:
        result = call()
    except ParseFailed as err:
        reason = err.reason
    else:
        assert isinstance(result, kind)
        return
    assert isinstance(reason, str)
    assert reason


@FAST
@given(ANY_TEXT, st.sampled_from(["en", "es", "pt", "xx", ""]))
def test_word_parsers_never_crash(text: str, lang: str) -> None:
    _only_parse_failed(lambda: parse_yes_no(text, lang), bool)
    _only_parse_failed(lambda: parse_choice(text, HOUSING, lang), str)
    _only_parse_failed(lambda: parse_multi(text, SUPPORTS, lang), list)
    _only_parse_failed(lambda: parse_int(text, lang, 0, 10), int)


@FAST
@given(ANY_TEXT, st.sampled_from(["en", "es", "pt", "xx"]), st.dates())
def test_date_time_parsers_never_crash(text: str, lang: str, today: date) -> None:
    _only_parse_failed(lambda: parse_date(text, today, lang), date)
    _only_parse_failed(lambda: parse_time(text, lang), time)


@FAST
@given(ANY_TEXT, st.sampled_from(["US", "GB", "BR", "MX", "ZZ", "us", ""]))
def test_phone_zip_never_crash(text: str, region: str) -> None:
    _only_parse_failed(lambda: parse_phone(text, region), str)
    _only_parse_failed(lambda: parse_zip(text), str)


@FAST
@given(ANY_TEXT, st.integers(-5, 3000))
def test_text_never_crashes(text: str, max_len: int) -> None:
    _only_parse_failed(lambda: parse_text(text, max_len), str)


@FAST
@given(st.text(max_size=200))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


# ------------------------------------------------------------------ properties: round trips


@FAST
@given(st.data())
def test_int_round_trip(data: st.DataObject) -> None:
    low = data.draw(st.integers(-1000, 1000))
    high = data.draw(st.integers(low, low + 5000))
    n = data.draw(st.integers(low, high))
    assert parse_int(str(n), "en", low, high) == n
    assert parse_int(f"  {n}. ", "es", low, high) == n


@FAST
@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.dates(date(2001, 1, 1), date(2098, 1, 1)))
def test_date_round_trip(day: date, today: date) -> None:
    assert parse_date(f"{day.month}/{day.day}/{day.year}", today, "en") == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}", today, "es") == day
    assert parse_date(day.isoformat(), today, "pt") == day


@FAST
@given(st.dates(date(2001, 1, 1), date(2098, 1, 1)), st.integers(0, 400))
def test_relative_days_round_trip(today: date, n: int) -> None:
    assert parse_date(f"in {n} days", today, "en") == today + timedelta(days=n)
    assert parse_date(f"hace {n} días", today, "es") == today - timedelta(days=n)


@FAST
@given(st.dates(date(2001, 1, 1), date(2098, 1, 1)), st.integers(1, 12), st.integers(1, 28))
def test_yearless_date_is_within_half_a_year(today: date, month: int, day: int) -> None:
    got = parse_date(f"{month}/{day}", today, "en")
    assert (got.month, got.day) == (month, day)
    assert abs((got - today).days) <= 184


@FAST
@given(st.integers(0, 23), st.integers(0, 59))
def test_time_round_trip(hour: int, minute: int) -> None:
    assert parse_time(f"{hour:02d}:{minute:02d}", "en") == time(hour, minute)
    twelve = hour % 12 or 12
    suffix = "am" if hour < 12 else "pm"
    assert parse_time(f"{twelve}:{minute:02d} {suffix}", "en") == time(hour, minute)


@FAST
@given(
    st.lists(
        st.text(st.characters(categories=["L"]), min_size=1, max_size=12),
        min_size=1,
        max_size=9,
        unique_by=normalize,
    ),
    st.data(),
)
def test_choice_by_number_round_trip(labels: list[str], data: st.DataObject) -> None:
    options = [Option(f"v{i}", (label,)) for i, label in enumerate(labels)]
    i = data.draw(st.integers(1, len(options)))
    assert parse_choice(str(i), options, "en") == options[i - 1].value
    assert parse_choice(f"#{i}", options, "pt") == options[i - 1].value
    picked = data.draw(st.lists(st.integers(1, len(options)), min_size=1))
    expected = [o.value for n, o in enumerate(options, 1) if n in picked]
    assert parse_multi(", ".join(map(str, picked)), options, "en") == expected
