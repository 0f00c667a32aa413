"""Fixtures for the resource tests: the shipped sample directory, loaded once."""

from __future__ import annotations

import pytest

from bot.resources import ResourceDirectory, load_resource_directory
from tests.resources.helpers import SAMPLE


@pytest.fixture(scope="session")
def sample() -> ResourceDirectory:
    return load_resource_directory(SAMPLE)
