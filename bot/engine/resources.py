"""What the engine needs to offer local help for a need: a finder handed in at start-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.engine.answers import ZipInfo


@dataclass(frozen=True, slots=True)
class Offer:
    """One local service, as a parent reads it in a numbered list."""

    id: str
    name: str
    phone: str

    def line(self, number: int) -> str:
        return f"{number}. {self.name}, {self.phone}" if self.phone else f"{number}. {self.name}"


# (need kind, where the parent lives or None, locale) -> up to 3 services, best first.
ResourceFinder = Callable[[str, ZipInfo | None, str], Sequence[Offer]]


def no_resources(_need: str, _where: ZipInfo | None, _locale: str) -> Sequence[Offer]:
    return ()
