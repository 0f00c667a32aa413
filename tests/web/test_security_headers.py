"""SecurityHeaders adds its headers as MutableHeaders.setdefault would, from pairs encoded once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import MutableHeaders

from bot.web.guards import HEADERS, HSTS, headers_to_add, with_defaults

NAMES = st.sampled_from(
    [
        b"content-type",
        b"content-length",
        b"cache-control",
        b"Cache-Control",
        b"x-frame-options",
        b"content-security-policy",
        b"strict-transport-security",
        b"referrer-policy",
        b"set-cookie",
    ]
)
RAW = st.lists(st.tuples(NAMES, st.binary(max_size=12)), max_size=8)


def by_setdefault(raw: list[tuple[bytes, bytes]], *, private: bool, hsts: bool) -> list[object]:
    """What the middleware did before: MutableHeaders.setdefault, one header at a time."""
    message = {"type": "http.response.start", "headers": list(raw)}
    headers = MutableHeaders(scope=message)
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if private:
        headers.setdefault("cache-control", "no-store")
    if hsts:
        headers.setdefault("strict-transport-security", HSTS)
    return list(message["headers"])


@given(RAW, st.booleans(), st.booleans())
def test_the_headers_are_what_setdefault_gave(
    raw: list[tuple[bytes, bytes]], private: bool, hsts: bool
) -> None:
    adding = headers_to_add(private=private, hsts=hsts)
    assert with_defaults(raw, adding) == by_setdefault(raw, private=private, hsts=hsts)
