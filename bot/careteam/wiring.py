"""Start and stop the care-team service from app.py's lifespan; `router` is its HTTP API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass

from fastapi import FastAPI
from redis.asyncio import Redis

from bot.careteam.api import PlanReader, router
from bot.careteam.delivery import DeliveryConfig, DeliveryWorker
from bot.careteam.directory import Directory, load_directory
from bot.careteam.payload import Names
from bot.careteam.records import CareRecords
from bot.engine.loader import FlowSet, load_flows
from bot.flows import FLOWS_DIR
from bot.settings import Settings
from bot.store.crypto import Cipher
from bot.store.keys import OUTBOX_STREAM
from bot.store.redis_store import RedisConversationStore

__all__ = ["CareTeam", "router", "start_careteam", "stop_careteam"]

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 3.0


@dataclass(slots=True)
class CareTeam:
    """The running care-team service; lives on app.state.careteam."""

    directory: Directory
    records: CareRecords
    worker: DeliveryWorker
    reader: PlanReader
    task: asyncio.Task[None] | None = None


async def start_careteam(
    app: FastAPI,
    settings: Settings,
    store: RedisConversationStore,
    redis: Redis,
    cipher: Cipher,
    *,
    flows: FlowSet | None = None,
    config: DeliveryConfig | None = None,
    run_worker: bool = True,
) -> CareTeam:
    """Load and check CARE_TEAM_FILE (ConfigError if it is bad), then run the worker.

    `redis` must be the store's client (bytes, not decoded). The care-team keys take the
    store's key prefix, so tests and tenants stay apart.
    """
    directory = load_directory(settings.care_team_file)
    flows = flows or load_flows(FLOWS_DIR)
    prefix = store.outbox_key[: -len(OUTBOX_STREAM)]
    records = CareRecords(redis, cipher, prefix)
    names = Names(program=settings.program_name, plan=settings.plan_name)
    worker = DeliveryWorker(
        store=store,
        records=records,
        directory=directory,
        flows=flows,
        cipher=cipher,
        config=config,
        names=names,
    )
    reader = PlanReader(store, records, directory, flows, names, settings.public_base_url)
    careteam = CareTeam(directory, records, worker, reader)
    if run_worker:
        await worker.prepare()
        careteam.task = asyncio.create_task(worker.run(), name="careteam-delivery")
    app.state.careteam = careteam
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
