"""Fixtures shared by every test: engines over the fixture flows and the shipped flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.careteam.directory import load_directory, team_view
from bot.engine.machine import Engine
from bot.engine.resources import ResourceFinder
from bot.engine.sharing import TeamView
from bot.flows import build_engine, resource_finder
from bot.i18n_catalogs import shipped_locales
from bot.resources import load_resource_directory

FIXTURE_FLOWS = Path(__file__).resolve().parent / "engine" / "flows"
SAMPLE_RESOURCES = Path(__file__).resolve().parents[1] / "resources" / "sample"
EXAMPLE_DIRECTORY = Path(__file__).resolve().parents[1] / "careteam.yaml"


def sample_finder() -> ResourceFinder:
    """Local help from the shipped sample HSDS directory, as `make run` offers it."""
    return resource_finder(load_resource_directory(SAMPLE_RESOURCES))


@pytest.fixture(scope="session")
def fixture_engine() -> Engine:
    return build_engine(flows_dir=FIXTURE_FLOWS)


def example_team() -> TeamView:
    """The example care-team directory (careteam.yaml), as the app shows it in consent."""
    return team_view(load_directory(EXAMPLE_DIRECTORY))


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    """The shipped flows in English only: golden English transcripts stay independent of
    which other languages ship."""
    return build_engine(resource_finder=sample_finder(), team=example_team())


@pytest.fixture(scope="session")
def i18n_engine() -> Engine:
    """The shipped flows with every shipped catalog, as the app runs them."""
    return build_engine(
        locales=tuple(shipped_locales()), resource_finder=sample_finder(), team=example_team()
    )
