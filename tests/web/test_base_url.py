"""Links carry the address the app is really served on: with PUBLIC_BASE_URL unset, PORT
decides (not a fixed :8000)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.web.conftest import KeySpace, make_settings, running_app

pytestmark = pytest.mark.anyio


def test_the_base_url_follows_port_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "18100")
    assert Settings(_env_file=None).public_base_url == "http://localhost:18100"
    chosen = Settings(_env_file=None, public_base_url="https://plans.example.org/")
    assert chosen.public_base_url == "https://plans.example.org"


async def test_the_start_up_log_names_the_port_served_on(
    tmp_path: Path, keyspace: KeySpace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings(tmp_path, public_base_url="", port=18100, log_level="INFO")
    async with running_app(settings, keyspace):
        pass
    [ready] = [r for r in caplog.records if r.getMessage() == "Safe Start ready"]
    assert ready.url == "http://localhost:18100/chat"
