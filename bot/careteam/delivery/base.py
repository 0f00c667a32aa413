"""What the halves of the delivery worker share: knobs, backoff, clocks, transient errors."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.engine.today import FALLBACK_TIMEZONE
from bot.errors import SafeStartError, StoreError
from bot.store.redis_calls import TRANSIENT_ERRORS

Clock = Callable[[], float]
Jitter = Callable[[], float]


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def system_jitter() -> float:
    return secrets.SystemRandom().random()


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """Delivery knobs. Defaults: about 5-10 hours of tries before a job is parked."""

    group: str = "careteam"
    # Every consumer group of the outbox (care-team delivery, reminder intake): entries all
    # of them have acknowledged are trimmed, and none until each of them exists.
    outbox_groups: tuple[str, ...] = ("careteam", "reminders")
    consumer: str = field(default_factory=default_consumer)
    batch: int = 100
    max_attempts: int = 18
    backoff_base_s: float = 10.0
    backoff_cap_s: float = 3600.0
    # A due try a worker read and left unacknowledged this long (it died mid-post) is taken
    # over by another (Redis's clock); also the delay of erasure notices. Longer than any
    # endpoint timeout (at most 60 s): a batch is `concurrency` tries, posted together, so a
    # slow post is never doubled.
    lease_s: float = 120.0
    leader_ttl_ms: int = 15_000
    # Posts in flight per worker. Past ~16, httpx's pool bookkeeping costs more than it saves
    # against a local receiver (bench/bench_delivery.py); slow remote endpoints favour more.
    concurrency: int = 16
    idle_sleep_s: float = 0.2
    # An outbox entry failing this often for an unforeseen reason is set aside (careteam:dead)
    # rather than holding up every later event of every parent.
    bury_after: int = 5
    # On-call is paged once per parent and kind of alert (crisis, handoff) in this window;
    # 0 pages every alert.
    page_once_s: float = 1800.0
    # The program's DEFAULT_TIMEZONE: a parent's calendar until their ZIP code gives theirs.
    default_timezone: str = FALLBACK_TIMEZONE


def backoff_s(attempts: int, config: DeliveryConfig, jitter: Jitter) -> float:
    """Exponential, capped, with "equal jitter": spread out, but never close to zero."""
    delay = min(config.backoff_cap_s, config.backoff_base_s * 2.0 ** max(attempts - 1, 0))
    return delay * (0.5 + 0.5 * jitter())


class Retry(SafeStartError):
    """The entry could not be applied now (a lost race); leave it pending and try again."""


# Worth waiting out: Redis or the network away, or a lost race. Anything else is a bug.
TRANSIENT: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, StoreError, Retry)


def entry_key(entry_id: str) -> tuple[int, int]:
    """A stream id as a sortable pair (milliseconds, sequence)."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def entry_time(entry_id: str) -> datetime:
    """When the answers were saved: the stream id is Redis's clock in milliseconds."""
    return datetime.fromtimestamp(entry_key(entry_id)[0] / 1000, UTC)
