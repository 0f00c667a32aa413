"""The report page's funnel as SVG text, drawn on the server: no script, no fonts fetched. Pure.

Made to be read on paper as well as on screen: black text on white, dark bars with the count
written next to each (never only in the bar's length), a withheld count drawn as an outlined
bar with the words "fewer than 5" or "withheld", and a <title> and <desc> that say the whole
chart in words for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from bot.reports.suppress import MIN_CELL

WIDTH = 720
LABEL_W = 230
BAR_MAX = 360
ROW_H = 44
BAR_H = 26
TOP = 12
INK = "#000000"
BAR = "#1f3a5f"  # dark blue: 11:1 against white, prints as near-black in greyscale


@dataclass(frozen=True, slots=True)
class Stage:
    """One bar: a label and its count, or None when the count is withheld (and why)."""

    label: str
    count: int | None
    small: bool = True  # withheld because it is 1-4 (else: to protect another count)

    def words(self) -> str:
        if self.count is not None:
            return f"{self.count:,}"
        return f"fewer than {MIN_CELL}" if self.small else "withheld"


def funnel_svg(stages: Sequence[Stage], *, title: str, description: str) -> str:
    """An accessible horizontal bar chart, one bar a stage, widths relative to the largest."""
    known = [s.count for s in stages if s.count is not None]
    largest = max(known, default=0) or 1
    height = TOP * 2 + ROW_H * len(stages)
    summary = "; ".join(f"{s.label}: {s.words()}" for s in stages)
    rows = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="funnel-title funnel-desc" '
        'font-family="system-ui, sans-serif" font-size="15">',
        f'<title id="funnel-title">{escape(title)}</title>',
        f'<desc id="funnel-desc">{escape(description)} {escape(summary)}.</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for index, stage in enumerate(stages):
        y = TOP + index * ROW_H
        middle = y + ROW_H / 2 + 5
        rows.append(
            f'<text x="{LABEL_W - 12}" y="{middle:.0f}" text-anchor="end" fill="{INK}">'
            f"{escape(stage.label)}</text>"
        )
        bar_y = y + (ROW_H - BAR_H) / 2
        if stage.count is None:
            width = BAR_MAX * 0.08
            rows.append(
                f'<rect x="{LABEL_W}" y="{bar_y:.0f}" width="{width:.0f}" height="{BAR_H}" '
                f'fill="#ffffff" stroke="{INK}" stroke-width="2" stroke-dasharray="5 3"/>'
            )
        else:
            width = BAR_MAX * stage.count / largest
            if stage.count:
                width = max(width, 2.0)
            rows.append(
                f'<rect x="{LABEL_W}" y="{bar_y:.0f}" width="{width:.1f}" height="{BAR_H}" '
                f'fill="{BAR}"/>'
            )
        rows.append(
            f'<text x="{LABEL_W + width + 10:.0f}" y="{middle:.0f}" fill="{INK}" '
            f'font-weight="bold">{escape(stage.words())}</text>'
        )
    rows.append("</svg>")
    return "\n".join(rows)
