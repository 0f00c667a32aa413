"""The funnel SVG: valid, self-contained, readable without colour or sight of it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.reports.chart import Stage, funnel_svg

SVG = "{http://www.w3.org/2000/svg}"


def draw(*stages: Stage) -> ET.Element:
    text = funnel_svg(stages, title="Funnel <2024>", description="Plans at each stage.")
    assert "<script" not in text
    assert "href" not in text
    return ET.fromstring(text)  # noqa: S314 - our own SVG, not untrusted input


def test_each_stage_is_written_out_with_its_count() -> None:
    svg = draw(Stage("Enrolled", 1200), Stage("Referred", 37), Stage("Connected", 0))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["Enrolled", "1,200", "Referred", "37", "Connected", "0"]
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Funnel <2024>"  # type: ignore[union-attr]
    desc = svg.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "Enrolled: 1,200; Referred: 37; Connected: 0" in desc


def test_a_withheld_count_is_said_in_words_and_drawn_as_an_outline() -> None:
    svg = draw(Stage("Enrolled", 40), Stage("Referred", None), Stage("Connected", None, False))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[3] == "fewer than 5"
    assert texts[5] == "withheld"
    bars = [r for r in svg.iter(f"{SVG}rect")][1:]  # the first is the white background
    assert [b.get("fill") for b in bars] == ["#1f3a5f", "#ffffff", "#ffffff"]
    assert all(b.get("stroke-dasharray") for b in bars[1:])


def test_labels_are_escaped() -> None:
    svg = draw(Stage("<script>alert(1)</script> & co", 3))
    assert next(svg.iter(f"{SVG}text")).text == "<script>alert(1)</script> & co"
