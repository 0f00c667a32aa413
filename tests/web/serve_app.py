"""One app process for tests that need several (tests/web/test_on_cluster.py).

    python -m tests.web.serve_app   # Settings from the environment, keys under TEST_KEY_PREFIX

Like `python app.py`, plus the key prefix of a test's keyspace and its fixed clock
(TEST_NOW, ISO 8601). TEST_QUICK_TAKEOVER=1 shortens the background workers' leases (the
reminder leader's, a due reminder's and a delivery job's), so that when a test kills one
process the other takes its work over in seconds rather than minutes.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta

import uvicorn

from app import create_app, server_config
from bot.careteam.delivery import DeliveryConfig
from bot.reminders.planner import Planner
from bot.reminders.wiring import ReminderConfig
from bot.settings import Settings

# Delivery: a job a dead process claimed comes round after lease_s; it must outlast the
# endpoint's timeout (the test's directory says 15 s), or a slow post would be doubled.
QUICK_DELIVERY = DeliveryConfig(
    lease_s=18.0, leader_ttl_ms=2_000, backoff_base_s=1.0, backoff_cap_s=4.0, idle_sleep_s=0.05
)


def quick_reminders(settings: Settings, prefix: str) -> ReminderConfig:
    return replace(
        ReminderConfig.from_settings(settings, prefix),
        lease_ttl=timedelta(seconds=5),
        renew_every=timedelta(seconds=1),
        block_ms=200,
        claim_idle=timedelta(seconds=2),
        # Over the Twilio create request's 10 s timeout, as the default is.
        send_stale=timedelta(seconds=12),
    )


async def _missed_left_alone(planner: Planner, job: str) -> None:
    """APScheduler fires on the machine's clock, this process plans on TEST_NOW: a job
    planned from TEST_NOW (a standard-schedule offer after onboarding) is months late by the
    machine's clock and missed at once, and re-planning it from the fixed clock plans it in
    the past again, a loop that took a core from every test beside it. Missed jobs are
    tests/reminders' business; here they are left alone."""


def main() -> None:
    Planner.on_missed = _missed_left_alone  # type: ignore[method-assign]
    settings = Settings(_env_file=None)
    now = datetime.fromisoformat(os.environ["TEST_NOW"])
    prefix = os.environ["TEST_KEY_PREFIX"]
    quick = os.environ.get("TEST_QUICK_TAKEOVER") == "1"
    app = create_app(
        settings,
        key_prefix=prefix,
        clock=lambda: now,
        freeze_heap=False,
        reminder_config=quick_reminders(settings, prefix) if quick else None,
        delivery_config=QUICK_DELIVERY if quick else None,
    )
    uvicorn.Server(server_config(settings, app)).run()


if __name__ == "__main__":
    main()
