"""The fine-tuned encoder's reading (~17 ms of one core) is made in a worker thread, never on
the event loop the webhook serves every parent from; the step then finds it remembered."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from bot.engine.crisis_encoder import CrisisEncoder
from bot.engine.events import CrisisDetected
from bot.service import Handled
from tests.web.conftest import new_phone, runtime_of, text

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

# From the probes (dev, read): no rule finds it, the nets alone score it under their threshold,
# the encoder beside them finds it (tests/engine/test_crisis_encoder.py NETS_MISS).
ENCODER_FINDS = "ex found out where i moved. he left a dead bird on my car"
PLAN_ANSWER = "can we move my appointment to friday"


def _watched(encoder: CrisisEncoder, threads: list[threading.Thread]) -> Callable[[], None]:
    """Record the thread of every engine reading; returns the undo."""
    engine = encoder.engine
    embed = engine.embed

    def recording(text: str) -> np.ndarray:
        threads.append(threading.current_thread())
        return embed(text)

    engine.embed = recording  # type: ignore[method-assign]
    return lambda: delattr(engine, "embed")


async def test_a_text_the_encoder_reads_is_read_off_the_event_loop_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    service = runtime_of(app).service
    model = service.engine.crisis_models["en"]
    encoder = model.encoder
    assert encoder is not None
    for text_ in (ENCODER_FINDS, PLAN_ANSWER):  # read fresh, whatever ran before
        model.scores.pop(text_, None)
        encoder.readings.pop(text_, None)
    events: list[Handled] = []

    async def watch(handled: Handled) -> None:
        events.append(handled)

    service.add_hook(watch)
    threads: list[threading.Thread] = []
    undo = _watched(encoder, threads)
    try:
        replies = await text(client, new_phone(), ENCODER_FINDS)
        await service.settle()
        loop_thread = threading.current_thread()
        assert len(threads) == 1, threads  # read once: the step looked the reading up
        assert threads[0] is not loop_thread
        assert any("911" in reply for reply in replies), replies
        assert [e for h in events for e in h.events if isinstance(e, CrisisDetected)]
        # A plan answer is below the gate: the encoder is not asked, in no thread.
        await text(client, new_phone(), PLAN_ANSWER)
        assert len(threads) == 1
        assert PLAN_ANSWER in model.scores  # the nets' reading, made once and looked up
    finally:
        undo()


# From the dev sets (read): the rules find violence, the nets read it under the gate, and both
# readers are all but sure it is nothing (tests/engine/test_crisis_agreed_veto.py OVERRULED).
VETOED = "she hits me when shes tired, shes 2. normal?"


async def test_a_text_the_agreed_veto_reads_is_read_off_the_event_loop_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Below the gate the blend does not ask the encoder, but the agreed veto does: the
    service reads it ahead in a worker thread, and the parent gets no crisis reply."""
    service = runtime_of(app).service
    model = service.engine.crisis_models["en"]
    encoder = model.encoder
    assert encoder is not None
    model.scores.pop(VETOED, None)
    encoder.readings.pop(VETOED, None)
    threads: list[threading.Thread] = []
    undo = _watched(encoder, threads)
    try:
        replies = await text(client, new_phone(), VETOED)
        await service.settle()
        assert len(threads) == 1, threads
        assert threads[0] is not threading.current_thread()
        assert not any("911" in reply for reply in replies), replies
    finally:
        undo()
