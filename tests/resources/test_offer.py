"""Offer lines: "1. Name, phone", never over 60 characters, and three fit two SMS segments."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.engine.segments import is_gsm7, segment_count
from bot.resources import ResourceDirectory, Service, offer_line
from bot.resources.offer import LINE_LIMIT, display_phone


def test_the_issue_example() -> None:
    """A short name and a US number read as the issue shows."""
    service = Service(id="h", name="Hartford Family Housing Help", phone="+18605550142")
    assert offer_line(1, service) == "1. Hartford Family Housing Help, 860-555-0142"


def test_a_long_name_is_cut_at_a_word_and_not_on_a_dangling_word() -> None:
    """The name loses its last words, and never ends on "and" or "of"."""
    name = "Bridgeport Family Resource Center and Brazilian Parents Circle"
    line = offer_line(2, Service(id="b", name=name, phone="+12035550160"))
    assert line == "2. Bridgeport Family Resource Center, 203-555-0160"
    assert len(line) <= LINE_LIMIT


def test_extension_other_numbers_and_web_address() -> None:
    """An extension follows the number; other phone text stays; no phone shows a short URL."""
    assert display_phone(Service(id="x", name="X", phone="+18605550147", extension="2")) == (
        "860-555-0147 x2"
    )
    assert offer_line(3, Service(id="x", name="Crisis Line", phone="211")) == "3. Crisis Line, 211"
    web = Service(id="w", name="Lock Box", url="https://www.lockbox.example.org/")
    assert offer_line(1, web) == "1. Lock Box, lockbox.example.org"
    far = Service(id="w", name="Lock Box", url="https://example.org/a/very/long/path/to/a/page")
    assert offer_line(1, far) == "1. Lock Box"


def test_typographic_punctuation_is_made_plain_so_the_text_stays_gsm7() -> None:
    """Curly quotes and dashes from a directory would turn a whole text into UCS-2."""
    service = Service(id="m", name="Mothers\u2019 Circle \u2013 Hartford", phone="+18605550100")
    line = offer_line(1, service)
    assert line == "1. Mothers' Circle - Hartford, 860-555-0100"
    assert is_gsm7(line)


def test_three_sample_offers_fit_two_segments(sample: ResourceDirectory) -> None:
    """Every sample service's line is GSM-7 and short; the three longest, under a lead-in,
    still fit two segments."""
    lines = sorted(
        (offer_line(n, s) for n, s in enumerate(sample.services, start=1)), key=len, reverse=True
    )
    assert all(is_gsm7(line) and len(line) <= LINE_LIMIT for line in lines)
    text = "\n".join(
        ["Here are 3 places that can help. Reply with a number to save one:", *lines[:3]]
    )
    assert segment_count(text) <= 2


@given(
    st.integers(min_value=1, max_value=99),
    st.text(min_size=1, max_size=120),
    st.text(max_size=60),
    st.text(max_size=8),
    st.text(max_size=80),
)
def test_never_longer_than_the_limit(
    number: int, name: str, phone: str, extension: str, url: str
) -> None:
    """Whatever the name, phone or address, a line stays within LINE_LIMIT characters."""
    service = Service(id="x", name=name, phone=phone, extension=extension, url=url)
    line = offer_line(number, service)
    assert len(line) <= LINE_LIMIT
    assert line.startswith(f"{number}. ")
