"""Settings fail fast for a live deployment missing what it needs (issue #16), and every knob
is read once, into Settings (the reminders' pacing included)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.reminders.wiring import ReminderConfig
from bot.settings import Settings
from tests.web.conftest import ACCOUNT_SID, AUTH_TOKEN, DATA_KEY, FROM_NUMBER

ROOT = Path(__file__).resolve().parents[2]

LIVE = {
    "twilio_account_sid": ACCOUNT_SID,
    "twilio_auth_token": AUTH_TOKEN,
    "twilio_from_number": FROM_NUMBER,
}


def test_live_twilio_without_a_data_key_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="DATA_ENCRYPTION_KEY is needed"):
        Settings(_env_file=None, **LIVE)  # type: ignore[call-arg]


def test_live_twilio_with_a_data_key_and_dev_mode_without_one_start() -> None:
    live = Settings(_env_file=None, data_encryption_key=DATA_KEY, **LIVE)  # type: ignore[call-arg]
    assert live.twilio_live
    dev = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not dev.twilio_live
    assert dev.data_encryption_key is None


def test_reminder_pacing_is_read_once_into_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDERS_SEND_RATE", "25")
    monkeypatch.setenv("REMINDERS_SEND_BURST", "10")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("REMINDERS_SEND_RATE", "99")  # read once: a later change is not seen
    config = ReminderConfig.from_settings(settings, "t:")
    assert (config.send_rate, config.send_burst, config.prefix) == (25.0, 10.0, "t:")
    assert (
        ReminderConfig.from_settings(Settings(_env_file=None, reminders_send_rate=1000)).send_rate
        == 1000
    )  # type: ignore[call-arg]


def test_reminder_pacing_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, reminders_send_rate=0)  # type: ignore[call-arg]


def test_the_app_says_what_to_fix_instead_of_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATA_ENCRYPTION_KEY", "REDIS_URL"}}
    env.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    env.update(TWILIO_FROM_NUMBER=FROM_NUMBER, PORT="9")
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Safe Start cannot start" in done.stderr
    assert "DATA_ENCRYPTION_KEY is needed" in done.stderr
    assert "Traceback" not in done.stderr
