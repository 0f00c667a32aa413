"""The webhook stops at the commit: what runs after it never holds the reply back (#16)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from bot.engine.events import OptedOut
from bot.service import Handled
from tests.web.conftest import new_phone, runtime_of, text

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]


async def test_stop_is_confirmed_while_a_slow_hook_still_runs_and_its_effect_lands_after(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A hook that takes as long as the test wants (longer than the webhook's 1.5 s deadline
    if need be): STOP's TwiML confirms the stop while the hook is still waiting, and the
    hook's effect happens once it may go on."""
    service = runtime_of(app).service
    started, may_finish = asyncio.Event(), asyncio.Event()
    effects: list[Handled] = []

    async def slow_hook(handled: Handled) -> None:
        if any(isinstance(e, OptedOut) for e in handled.events):
            started.set()
            await may_finish.wait()
            effects.append(handled)

    service.add_hook(slow_hook)
    phone = new_phone()
    await text(client, phone, "hi")
    replies = await text(client, phone, "STOP")
    assert any("unsubscribed" in reply for reply in replies), replies
    assert (await service.store.load(phone)).status == "opted_out"  # type: ignore[union-attr]
    assert not effects  # the reply did not wait for the hook
    await asyncio.wait_for(started.wait(), 5)
    may_finish.set()
    await service.settle()
    assert [type(e).__name__ for h in effects for e in h.events] == ["OptedOut"]
    assert effects[0].address == phone


async def test_a_failing_hook_leaves_the_reply_and_later_texts_alone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    service = runtime_of(app).service

    async def broken(handled: Handled) -> None:
        raise RuntimeError("a bug in a watcher")

    service.add_hook(broken)
    phone = new_phone()
    welcome = await text(client, phone, "hi")
    await service.settle()
    next_question = await text(client, phone, "yes")
    await service.settle()
    assert welcome
    assert next_question
    assert next_question != welcome  # the plan moved on: the failure cost nothing
