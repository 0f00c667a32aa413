"""The delivery worker: outbox events in, consent applied, signed webhooks out, each try audited.

    worker.py   DeliveryWorker: the loop over both halves; drain() for tests and tools
    outbox.py   reading half: the outbox stream in order, under one reader's lease
    routing.py  what each event means: consent versions, snapshots, delivery jobs, erasure
    sender.py   sending half: leased jobs, consent checked again, signed posts, backoff, park
    base.py     knobs, backoff, clocks and the transient errors the halves share

`from bot.careteam.delivery import DeliveryConfig, DeliveryWorker, drain` keeps working.
"""

from bot.careteam.delivery.base import DeliveryConfig, backoff_s, default_consumer
from bot.careteam.delivery.outbox import RESIGN_TIMEOUT_S
from bot.careteam.delivery.sender import USER_AGENT
from bot.careteam.delivery.worker import DeliveryWorker, drain

__all__ = [
    "RESIGN_TIMEOUT_S",
    "USER_AGENT",
    "DeliveryConfig",
    "DeliveryWorker",
    "backoff_s",
    "default_consumer",
    "drain",
]
