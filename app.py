"""Build the Safe Start web app (create_app) and serve it with uvicorn: `python app.py`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.careteam.delivery import DeliveryConfig
from bot.careteam.delivery.timer import TimedWork
from bot.careteam.directory import team_view
from bot.careteam.records import CareRecords
from bot.careteam.wiring import start_careteam, stop_careteam
from bot.channels.chat_link import ChatLinks
from bot.channels.outbound import TwilioSender, build_sender
from bot.channels.twilio_sms import SignatureChecker, TwilioSms
from bot.channels.webchat import WebChat
from bot.channels.webhook_retries import retry_warning
from bot.channels.whatsapp import WhatsAppLinks
from bot.dashboard.config import DashboardConfig
from bot.dashboard.parent_link import PlanLinkTexter
from bot.dashboard.wiring import build_dashboard, dashboard_config_from
from bot.disclosures import RecordTexter
from bot.errors import StoreUnavailable
from bot.floods import FloodGuard, FloodLimits
from bot.flows import build_engine, resource_finder
from bot.observability import ContactHasher, Metrics, setup_logging
from bot.reminders.wiring import ReminderConfig, start_reminders, stop_reminders
from bot.resources import load_resource_directory
from bot.scheduling.loops import finish
from bot.scheduling.scheduler import Scheduler
from bot.service import Service
from bot.settings import Settings
from bot.store.care_access_redis import RedisCareAccess
from bot.store.care_records_redis import RedisCareRecords
from bot.store.channel_state import ChannelState
from bot.store.chat_log import ChatFeed
from bot.store.client import worker_client
from bot.store.crypto import cipher_from_settings
from bot.store.embedded import EmbeddedServer, connect_redis
from bot.store.keys.dashboard import DashKeys
from bot.store.keys.reminders import ReminderKeys
from bot.store.limiter import Limiter, PageGate
from bot.store.redis_store import RedisConversationStore
from bot.store.reminder_redis import RedisReminderStorage
from bot.web import (
    care,
    careteam_needs,
    careteam_plans,
    chat,
    install_error_handlers,
    ops,
    parent_plan,
    twilio,
)
from bot.web import reminders as reminders_web
from bot.web.deps import Runtime, utc_now
from bot.web.guards import BodyLimit, SecurityHeaders
from bot.web.inbound_asgi import InboundFastPath
from bot.web.openapi import install_openapi
from bot.web.reports import router as reports_router

WEB_DIR = Path(__file__).resolve().parent / "bot" / "web"
YOUNG_GC_THRESHOLD = 5_000
log = logging.getLogger("safestart.app")


# (client, embedded server or None, description): how the app finds its Redis.
RedisConnector = Callable[[Settings], Awaitable[tuple[Redis, EmbeddedServer | None, str]]]


def create_app(
    settings: Settings | None = None,
    *,
    connect: RedisConnector | None = None,
    key_prefix: str = "",
    clock: Callable[[], datetime] = utc_now,
    freeze_heap: bool = True,
    dashboard_config: DashboardConfig | None = None,
    reminder_config: ReminderConfig | None = None,
    delivery_config: DeliveryConfig | None = None,
) -> FastAPI:
    """The FastAPI app; Redis, the engine and the sender are set up when it starts.

    `connect` replaces connect_redis (tests and the bench hand in a round-trip counting
    client); `key_prefix` namespaces every Redis key (tests sharing one database); `clock` is
    "now" for requests and reminders (tests hand in a fixed one). `freeze_heap=False` skips
    the full collection and gc.freeze at start-up (and the higher young-generation
    threshold): a test process starts hundreds of apps, and each collection walks the whole
    test run's heap (~0.1 s). `dashboard_config`: the dashboard's limits, when not the
    settings' (tests: cheap password hashing, short pages). `reminder_config` and
    `delivery_config`: the background workers' knobs, when not the defaults (tests that kill
    a process shorten its leases, so the survivor takes over in seconds).

    The lifespan is the one composition root: it builds every part once, in order, and puts
    them together in one typed Runtime on app.state.runtime, the only thing routes read.
    """
    settings = settings or Settings()
    connect = connect or connect_redis
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging(settings.log_level)
        folder = settings.resources_folder
        resources = load_resource_directory(folder) if folder else None
        engine = build_engine(
            locales=settings.locales,
            program=settings.program_name,
            plan_name=settings.plan_name,
            default_timezone=settings.default_timezone,
            quiet_hours=settings.quiet_hours,
            resource_finder=resource_finder(resources) if resources else None,
        )
        engine.zip_lookup("06103")  # loads the ZIP table now, not on a parent's first ZIP
        cipher = cipher_from_settings(settings)
        async with AsyncExitStack() as stack:
            redis, embedded, description = await connect(settings)
            if embedded is not None:
                stack.callback(embedded.stop)
            store = RedisConversationStore(redis, cipher, prefix=key_prefix)
            stack.push_async_callback(store.close)
            try:
                await store.prepare()
                # Once per keyspace: plans older than the contacts index join it.
                await store.reindex()
            except StoreUnavailable:
                # Start anyway: /healthz says 503 and webhooks answer "try later" until
                # Redis is back; the scripts then load on first use.
                log.warning("Redis is not answering at start-up", extra={"event": "startup"})
            # On a Cluster: outbox entries a dead process committed but never relayed.
            relaying = asyncio.create_task(store.keep_relaying(), name="outbox-relay")
            stack.push_async_callback(finish, relaying)
            contact_id = ContactHasher(cipher.id_key)
            # Flood limits and on-call paging once per parent per window (bot/floods.py).
            limiter = Limiter(redis, cipher.id_key, key_prefix)
            page_once_s = settings.page_once_minutes * 60
            guard = FloodGuard(
                limiter,
                PageGate(limiter, page_once_s),
                store,
                engine.keywords,
                FloodLimits.from_settings(settings),
                crisis=engine.is_crisis,
            )
            service = Service(store, engine, metrics, contact_id, guard=guard)
            stack.push_async_callback(service.settle)
            # Open web chats hear texts sent later (server-sent events; one subscription).
            feed_redis = worker_client(redis)
            stack.push_async_callback(feed_redis.aclose)
            chat_feed = ChatFeed(feed_redis, store.chat_log.channel)
            stack.push_async_callback(chat_feed.close)
            channel_state = ChannelState(redis, cipher, key_prefix)
            sender = build_sender(
                settings,
                store,
                metrics,
                contact_id,
                state=channel_state,
                gettext=engine.translator.gettext,
                clock=clock,
            )
            stack.push_async_callback(sender.close)
            whatsapp = WhatsAppLinks(channel_state, service, sender, settings.program_name)
            chat_links = ChatLinks(
                channel_state, service, settings.public_base_url, settings.chat_link_hours
            )
            stack.push_async_callback(whatsapp.settle)
            token = settings.twilio_auth_token
            checker = SignatureChecker(
                token.get_secret_value() if token else None,
                settings.public_base_url,
                settings.twilio_webhook_overrides,
            )
            # Care-team delivery: a worker on the outbox stream, signed webhooks, the plan API.
            workers_redis = worker_client(redis)
            stack.push_async_callback(workers_redis.aclose)

            # The one scheduler for timed work (bot/scheduling/): reminders and care-team
            # retries. Every kind registers before it starts, as a leader fires at once.
            rem_config = reminder_config or ReminderConfig.from_settings(settings, key_prefix)
            timing = RedisReminderStorage.open(
                workers_redis, cipher, ReminderKeys(rem_config.prefix)
            )
            scheduler = Scheduler(
                timing, lease_ttl=rem_config.lease_ttl, renew_every=rem_config.renew_every
            )
            timed = TimedWork.on(scheduler, timing)
            # Reminders: one leader schedules (APScheduler, Redis job store) and sends.
            reminders = await start_reminders(
                settings=settings,
                redis=workers_redis,
                cipher=cipher,
                conversations=store,
                # Outside a WhatsApp chat's window, reminders go as the reminder template.
                sender=sender.for_kind("reminder"),
                translator=engine.translator,
                note_reminder=engine.note_reminder,
                config=rem_config,
                clock=clock,
                storage=timing,
                scheduler=scheduler,
                # A takeover asks Twilio whether a dead process's reminder went.
                lookup=sender.sms if isinstance(sender.sms, TwilioSender) else None,
            )
            stack.push_async_callback(stop_reminders, reminders)
            careteam = await start_careteam(
                settings,
                store,
                RedisCareRecords(workers_redis, cipher, key_prefix),
                cipher,
                # DELETE MY DATA also forgets the parent's reminders (program-wide jobs).
                forget=reminders.planner.forget,
                config=replace(delivery_config or DeliveryConfig(), page_once_s=page_once_s),
                metrics=metrics,
                appointments=reminders.store,  # confirmed visits, for reports
                clock=clock,
                timed=timed,
            )
            stack.push_async_callback(stop_careteam, careteam)
            await scheduler.start()
            # Consent names names: the engine reads organizations from the directory.
            engine.team = team_view(careteam.directory)
            dashboard = build_dashboard(
                dashboard_config or dashboard_config_from(settings),
                settings,
                careteam,
                reminders,
                sender,
                engine.translator,
                RedisCareAccess(workers_redis, DashKeys(key_prefix)),
            )
            # MY RECORD: the parent's list of disclosures, from the care-team audit log.
            record = RecordTexter(
                load=store.load,
                contact_of=lambda address: store.keys_for(address).contact,
                audit=lambda contact: _audit_rows(careteam.records, contact),
                send=sender.send,
                catalogs=engine.translator,
                titles={f.id: f.title for f in engine.flows.sections},
                organizations={o.id: o.name for o in careteam.directory.organizations},
                hidden={f.id: f.number or 0 for f in engine.flows.sections if f.sensitive},
                default_timezone=settings.default_timezone,
            )

            # MY RECORD and MY PLAN (a private link to the printable plan) are answered by the
            # care-team worker from the outbox, after the commit: never in the webhook.
            careteam.worker.router.answer_requests_with(record)

            texter = PlanLinkTexter(dashboard, settings.public_base_url)
            careteam.worker.router.answer_requests_with(texter)
            app.state.runtime = Runtime(
                settings=settings,
                service=service,
                sms=TwilioSms(
                    service,
                    checker,
                    plain=settings.sms_plain_letters,
                    whatsapp=whatsapp,
                    chat_links=chat_links,
                ),
                # The chat's outbox holds what the channel router sent to it (a member's
                # answer, the MY PLAN link), in live mode as in dev mode.
                chat=WebChat(service, log=store.chat_log, feed=chat_feed, links=chat_links),
                sender=sender,
                metrics=metrics,
                templates=Jinja2Templates(directory=WEB_DIR / "templates"),
                redis_description=description,
                careteam=careteam,
                reminders=reminders,
                dashboard=dashboard,
                clock=clock,
            )
            # Members no longer in the directory: their dashboard sessions end now.
            with contextlib.suppress(RedisError, StoreUnavailable):
                members = [m.id for m in careteam.directory.members]
                await dashboard.sessions.end_removed(members)
            retry = retry_warning(settings.public_base_url, settings.twilio_webhook_overrides)
            if settings.twilio_live and retry is not None:
                log.warning(retry, extra={"event": "twilio_retries_off"})
            log.info(
                "Safe Start ready",
                extra={
                    "event": "startup",
                    "redis": description,
                    "sender": "twilio" if settings.twilio_live else "dev outbox",
                    "url": f"{settings.public_base_url}/chat",
                },
            )
            # Flows, catalogs, the ZIP table...: built once, kept for good. Frozen, the
            # collector stops walking them on every full collection (~50 ms pauses).
            # And the youngest generation is collected every YOUNG_GC_THRESHOLD allocations,
            # not 700: a text allocates a few hundred containers, so at 700 a collection fell
            # every few texts, mid-flight, walking the ~32 texts in flight (12-15 us of CPU per
            # text; at 5,000 under 1 us, the longest pause unchanged at ~1.3 ms).
            thresholds = gc.get_threshold()
            if freeze_heap:
                gc.collect()
                gc.freeze()
                gc.set_threshold(YOUNG_GC_THRESHOLD, *thresholds[1:])
            yield
            if freeze_heap:
                gc.set_threshold(*thresholds)
                gc.unfreeze()
            log.info("Safe Start stopping", extra={"event": "shutdown"})

    app = FastAPI(
        title="Safe Start",
        lifespan=lifespan,
        description="Build a Plan of Safe Care by text message or web chat.",
        # FastAPI's pages load their scripts from a public CDN: /docs is our own plain page.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app, metrics)
    install_openapi(app)
    # The last added runs first: the headers go on every answer, the 413 included.
    app.add_middleware(BodyLimit)
    hsts = settings.public_base_url.startswith("https://")
    app.add_middleware(SecurityHeaders, hsts=hsts)
    # Every text: answered ahead of the stack above, its effects folded in (inbound_asgi.py).
    app.add_middleware(InboundFastPath, hsts=hsts)
    app.include_router(twilio.router)
    # The hot webhook first, outside FastAPI's route machinery (see bot/web/twilio.py).
    app.router.routes.insert(0, twilio.inbound_route())
    app.include_router(chat.router)
    app.include_router(ops.router)
    app.include_router(careteam_plans.router)  # GET plans, FHIR, under /api/v1
    app.include_router(careteam_needs.router)  # PATCH needs
    app.include_router(reminders_web.router)
    app.include_router(reports_router)
    app.include_router(care.router)
    app.include_router(parent_plan.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


async def _audit_rows(
    records: CareRecords, contact: str
) -> list[tuple[datetime, str, str, str, str]]:
    return [
        (e.at, e.organization, e.action, e.what, e.result) for e in await records.audit_log(contact)
    ]


def server_config(settings: Settings, app: FastAPI) -> uvicorn.Config:
    """How uvicorn serves the app. Forwarded headers are believed only from the proxies in
    FORWARDED_ALLOW_IPS (none by default, where uvicorn would trust 127.0.0.1)."""
    trusted = settings.forwarded_allow_ips.strip()
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",
    )


def main() -> None:
    """Serve on HOST:PORT and say where the web chat is; a setting that cannot work stops
    the start with what to fix, not a traceback."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(str(error["msg"]) for error in exc.errors())
        raise SystemExit(f"Safe Start cannot start: {problems}") from None
    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/chat"
    print(f"Safe Start: open the web chat at {url}", flush=True)
    uvicorn.Server(server_config(settings, app)).run()


if __name__ == "__main__":
    main()
