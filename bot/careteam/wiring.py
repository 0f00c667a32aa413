"""Start and stop the care-team service; app.py's lifespan (the composition root) holds it.
Its HTTP API lives in bot/web/ (careteam_plans.py, careteam_needs.py, reports.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime

from bot.careteam.delivery import DeliveryConfig, DeliveryWorker
from bot.careteam.delivery.timer import TimedWork
from bot.careteam.directory import Directory, load_directory
from bot.careteam.erasure import Forget, forget_nothing
from bot.careteam.need_updates import NeedDesk
from bot.careteam.payload import Names
from bot.careteam.reader import PlanReader
from bot.careteam.records import CareRecords
from bot.engine.loader import FlowSet, load_flows
from bot.flows import FLOWS_DIR
from bot.observability import Metrics
from bot.reports.collect import AppointmentSource
from bot.settings import Settings
from bot.store.base import ConversationStore
from bot.store.care_records import CareBackend
from bot.store.crypto import Cipher

__all__ = ["CareTeam", "start_careteam", "stop_careteam"]

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 3.0


@dataclass(slots=True)
class CareTeam:
    """The running care-team service; lives on the app's Runtime (`runtime.careteam`)."""

    directory: Directory
    records: CareRecords
    worker: DeliveryWorker
    reader: PlanReader
    needs: NeedDesk
    task: asyncio.Task[None] | None = None
    # Where the program reports find appointments (they live with reminders, not in the
    # plan): the reminders store; without it the visit counts rest on the plan's answers.
    appointments: AppointmentSource | None = None


async def start_careteam(
    settings: Settings,
    store: ConversationStore,
    care: CareBackend,
    cipher: Cipher,
    *,
    timed: TimedWork,
    flows: FlowSet | None = None,
    config: DeliveryConfig | None = None,
    run_worker: bool = True,
    forget: Forget = forget_nothing,
    metrics: Metrics | None = None,
    appointments: AppointmentSource | None = None,
    clock: Callable[[], datetime] | None = None,
) -> CareTeam:
    """Load and check CARE_TEAM_FILE (ConfigError if it is bad), then run the worker.

    `care` keeps the care-team records (`RedisCareRecords`, under the conversation store's
    key prefix, so tests and tenants stay apart). `forget(contact)` runs when a parent's
    data is erased, before their keys go (reminders' program-wide jobs). `timed`: the one
    scheduler, with the care-team kind registered (retries and their due stream).
    """
    directory = load_directory(settings.care_team_file)
    config = replace(config or DeliveryConfig(), default_timezone=settings.default_timezone)
    flows = flows or load_flows(FLOWS_DIR)
    records = CareRecords(care)
    names = Names(program=settings.program_name, plan=settings.plan_name)
    worker = DeliveryWorker(
        store=store,
        records=records,
        coordination=care,
        timed=timed,
        directory=directory,
        flows=flows,
        cipher=cipher,
        config=config,
        names=names,
        forget=forget,
        metrics=metrics,
    )
    reader = PlanReader(store, records, directory, flows, names, settings.public_base_url)
    if clock is not None:  # "now" for reading plans and changing needs: the app's clock
        reader.clock = clock
    needs = NeedDesk(store, records, directory, flows, reader.clock, settings.default_timezone)
    careteam = CareTeam(directory, records, worker, reader, needs, appointments=appointments)
    if run_worker:
        # The worker creates its consumer group itself, retrying while Redis is away: the
        # app starts without Redis and /healthz says 503 until it is back.
        careteam.task = asyncio.create_task(worker.run(), name="careteam-delivery")
    log.info(
        "care team ready",
        extra={
            "event": "careteam_start",
            "organizations": len(directory.organizations),
            "endpoints": len(directory.endpoints),
        },
    )
    return careteam


async def stop_careteam(careteam: CareTeam) -> None:
    """Stop the worker (an interrupted post is retried by the next run) and close its client."""
    if careteam.task is not None:
        careteam.task.cancel()
        # Bounded, so a stuck worker can never keep the app from shutting down.
        with suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(careteam.task, STOP_TIMEOUT_S)
        careteam.task = None
    await careteam.worker.close()
