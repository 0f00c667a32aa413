"""Every golden transcript under tests/transcripts/ plays through the engine exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.machine import Engine
from tests.transcripts.runner import check

TRANSCRIPTS = Path(__file__).resolve().parent.parent / "transcripts"


@pytest.mark.parametrize("path", sorted(TRANSCRIPTS.glob("fixture/*.yaml")), ids=lambda p: p.stem)
def test_fixture_transcript(path: Path, fixture_engine: Engine) -> None:
    """A conversation over the fixture flows goes exactly as recorded."""
    check(path, fixture_engine)


@pytest.mark.parametrize("path", sorted(TRANSCRIPTS.glob("shipped/*.yaml")), ids=lambda p: p.stem)
def test_shipped_transcript(path: Path, i18n_engine: Engine) -> None:
    """A conversation over the shipped flows and catalogs goes exactly as recorded."""
    check(path, i18n_engine)
