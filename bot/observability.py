"""Structured JSON logs (no phone numbers, no message text) and the Prometheus metrics."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Fields a log call may attach with `extra=`; anything else is dropped, so a careless
# `extra={"body": ...}` can never put message text or a phone number into the log.
SAFE_FIELDS = frozenset(
    {
        "event",
        "contact",
        "channel",
        "replies",
        "duplicate",
        "status",
        "reason",
        "path",
        "events",
        "event_types",
        "elapsed_ms",
        "redis",
        "url",
        "sender",
        "sid",
        "error_code",
        "mode",
        "flow",
        "step",
        "method",
        "code",
        "webhook_id",
        "endpoint",
        "attempt",
        "result",
        "wait_s",
    }
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the safe extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in SAFE_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: tracebacks can quote values (answers, numbers).
            entry["exc_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON lines; safe to call more than once."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_safe_start", False):
            handler.setLevel(level)
            root.setLevel(level)
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(level)
    handler._safe_start = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


class ContactHasher:
    """A short keyed hash of an address, so log lines about one parent can be joined."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def __call__(self, address: str) -> str:
        digest = hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()
        return digest[:12]


class Metrics:
    """Every metric the app exports, on its own registry (one per app, so tests stay apart)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.inbound = Counter(
            "safestart_inbound_messages", "Inbound messages handled", ["channel"], registry=r
        )
        self.duplicates = Counter(
            "safestart_duplicate_messages",
            "Inbound retries answered from the dedupe record",
            ["channel"],
            registry=r,
        )
        self.replies = Counter(
            "safestart_replies", "Reply texts sent back to parents", ["channel"], registry=r
        )
        self.errors = Counter(
            "safestart_errors", "Requests that failed, by kind", ["kind"], registry=r
        )
        self.rejected = Counter(
            "safestart_rejected_requests",
            "Inbound requests refused by a channel check",
            ["channel", "reason"],
            registry=r,
        )
        self.events = Counter(
            "safestart_engine_events", "Events the engine emitted, by type", ["type"], registry=r
        )
        self.outbound = Counter(
            "safestart_outbound_messages",
            "Texts sent outside a reply",
            ["sender", "result"],
            registry=r,
        )
        self.delivery = Counter(
            "safestart_delivery_status",
            "Delivery status callbacks, by status",
            ["status"],
            registry=r,
        )
        # Care-team webhooks: an outage shows while it happens, a parked job shows at once.
        self.careteam_attempts = Counter(
            "safestart_careteam_delivery_attempts",
            "Care-team webhook posts tried",
            ["endpoint"],
            registry=r,
        )
        self.careteam_results = Counter(
            "safestart_careteam_deliveries",
            "Care-team webhook posts by result: delivered, failed, parked",
            ["endpoint", "result"],
            registry=r,
        )
        self.careteam_retries = Counter(
            "safestart_careteam_delivery_retries",
            "Failed care-team posts scheduled to be tried again",
            ["endpoint"],
            registry=r,
        )
        self.careteam_pending = Gauge(
            "safestart_careteam_deliveries_pending",
            "Care-team deliveries due and not yet done (a retry waiting for its time is a "
            "scheduler job, not counted here)",
            registry=r,
        )
        self.careteam_parked = Gauge(
            "safestart_careteam_deliveries_parked",
            "Care-team deliveries parked after their last try (retry with the CLI)",
            registry=r,
        )
        self.latency = Histogram(
            "safestart_inbound_latency_seconds",
            "Time to handle one inbound message",
            ["channel"],
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
        )
