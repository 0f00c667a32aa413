"""One numbered line per offered service, short enough that three fit a 2-segment text."""

from __future__ import annotations

from bot.resources.model import Service

LINE_LIMIT = 60
CONTACT_LIMIT = 30  # a longer phone text is cut at a word; a longer web address is left out
# Typographic characters that would switch a whole text to UCS-2 (a third of the room).
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u2026": "..."})  # fmt: skip
# Words a cut name should not end on: "Food and" reads worse than "Food".
_DANGLING = frozenset({"and", "&", "of", "for", "the", "to", "at", "in", "-", "+", "/",
                       "y", "de", "del", "la", "e", "do", "da", "para"})  # fmt: skip


def display_phone(service: Service) -> str:
    """ "+18605550142" -> "860-555-0142", with " x12" for an extension; other text as is."""
    number = service.phone
    if len(number) == 12 and number.startswith("+1") and number[1:].isdigit():
        number = f"{number[2:5]}-{number[5:8]}-{number[8:]}"
    return f"{number} x{service.extension}" if number and service.extension else number


def offer_line(number: int, service: Service) -> str:
    """ "1. Hartford Family Housing Help, 860-555-0142", at most LINE_LIMIT characters.

    The name is cut at a word to fit; the contact is the phone, else a short web address.
    The limit holds for numbers up to 99.
    """
    prefix = f"{number}. "
    contact = fit_name(display_phone(service), CONTACT_LIMIT) or _short_url(service.url)
    tail = f", {contact}" if contact else ""
    room = LINE_LIMIT - len(prefix) - len(tail)
    return prefix + fit_name(" ".join(service.name.translate(_PLAIN).split()), room) + tail


def fit_name(name: str, room: int) -> str:
    """The name, or as many of its first words as fit in `room` characters (at least one
    character of a name that has any)."""
    if len(name) <= room:
        return name
    words = name.split()
    while len(words) > 1 and (len(" ".join(words)) > room or words[-1].casefold() in _DANGLING):
        words.pop()
    kept = " ".join(words).rstrip(",;:-")
    return kept if len(kept) <= room else kept[: max(room, 1)].rstrip()


def _short_url(url: str) -> str:
    for scheme in ("https://", "http://"):
        url = url.removeprefix(scheme)
    url = url.removeprefix("www.").rstrip("/")
    return url if len(url) <= CONTACT_LIMIT else ""
