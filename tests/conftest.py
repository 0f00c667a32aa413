"""Fixtures shared by every test: engines over the fixture flows and the shipped flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.machine import Engine
from bot.flows import build_engine

FIXTURE_FLOWS = Path(__file__).resolve().parent / "engine" / "flows"


@pytest.fixture(scope="session")
def fixture_engine() -> Engine:
    return build_engine(flows_dir=FIXTURE_FLOWS)


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    return build_engine()
