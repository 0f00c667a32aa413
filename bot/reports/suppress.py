"""Small-cell suppression: no published count, and no count worked out from them, is 1 to 4. Pure.

Primary: every count from 1 to 4 is withheld. Zero is shown: it says nobody, which names no
one. Complementary: where counts add up (a total and its parts, some parts unpublished, such
as "enrolled but no section done"), a withheld or unpublished small count could be worked out
by subtraction whenever it is the only unknown in its sum; then one more part is withheld, the
smallest non-zero one (the total itself only when no part is left). This repeats until no sum
gives a small count away.

Not covered: differences between reports of overlapping periods. Share reports for fixed,
non-overlapping periods (months, quarters, years).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

MIN_CELL = 5

Reason = Literal["small", "complementary"]


@dataclass(frozen=True, slots=True)
class Group:
    """`total` = sum of `parts` + sum of `unpublished` (counts that are never shown)."""

    total: str
    parts: tuple[str, ...]
    unpublished: tuple[int, ...] = ()


def small(count: int) -> bool:
    return 0 < count < MIN_CELL


def suppress(cells: Mapping[str, int], groups: Sequence[Group]) -> dict[str, Reason]:
    """Which cells to withhold, and why; every other cell may be published as it is."""
    withheld: dict[str, Reason] = {name: "small" for name, count in cells.items() if small(count)}
    changed = True
    while changed:
        changed = False
        for group in groups:
            names = (group.total, *group.parts)
            unknown = sum(1 for n in names if n in withheld) + len(group.unpublished)
            exposed = any(small(cells[n]) for n in names) or any(map(small, group.unpublished))
            if not exposed or unknown != 1:
                continue
            pick = _next_to_withhold(cells, group, withheld)
            if pick is not None:
                withheld[pick] = "complementary"
                changed = True
    return withheld


def _next_to_withhold(
    cells: Mapping[str, int], group: Group, withheld: Mapping[str, Reason]
) -> str | None:
    shown = [p for p in group.parts if p not in withheld]
    if shown:
        return min(shown, key=lambda p: (cells[p] == 0, cells[p]))
    return group.total if group.total not in withheld else None
