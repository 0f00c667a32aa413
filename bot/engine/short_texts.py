"""Remembering a pure reading of short texts: the flood guard and the conversation read the same
text, and short texts ("yes", "i relapsed") repeat across parents."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["remembered"]

T = TypeVar("T")


def remembered(kept: dict[str, T], text: str, read: Callable[[str], T], up_to: int, most: int) -> T:
    """`read(text)`, kept in `kept` when the text is at most `up_to` characters long; `kept`
    starts again empty when it holds `most` texts (a cache of a pure function: the answers are
    the same either way)."""
    if len(text) > up_to:
        return read(text)
    known = kept.get(text)
    if known is None:
        if len(kept) >= most:
            kept.clear()
        known = kept[text] = read(text)
    return known
