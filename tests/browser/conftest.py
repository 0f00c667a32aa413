"""Headless Debian Chromium for the browser tests. `make test` installs it beforehand
(scripts/system-packages); a test never installs anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from app import create_app
from bot.settings import Settings
from tests.clock import NOW
from tests.fakes import UvicornThread
from tests.web.conftest import KeySpace, new_keyspace

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: run `make test` (it installs the system packages the tests "
        "need with scripts/system-packages)"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def keyspace() -> Iterator[KeySpace]:
    """The module's corner of Redis db 14 (tests/web's), deleted afterwards; the dashboard's
    browser tests use db 11 and their own."""
    with new_keyspace() as space:
        yield space


@pytest.fixture(scope="module")
def server(settings: Settings, keyspace: KeySpace) -> Iterator[UvicornThread]:
    """The app under uvicorn on the tests' fixed clock, with the module's `settings`."""
    app = create_app(settings, key_prefix=keyspace.prefix, clock=lambda: NOW, freeze_heap=False)
    with UvicornThread(app) as running:
        yield running
