"""The parent's rights end to end over the web chat, on real Redis with the workers running:
MY RECORD texts who read the plan; DELETE MY DATA (asked twice) leaves no key of theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.careteam.payload import plan_id_of
from bot.channels.webchat import COOKIE_NAME
from tests.clock import NOW
from tests.drive import next_text
from tests.waiting import eventually
from tests.web.conftest import KeySpace, make_settings, running_app, runtime_of, store_of

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db14")]

ROSA = "sst_hope-sw.3rXHQj92Plhf_DD0HDek34KUBMa6CU6GjnGfonNqGvk"  # careteam.yaml's trial token


@pytest.fixture
async def dev_app(tmp_path: Path, keyspace: KeySpace) -> AsyncIterator[FastAPI]:
    """Dev mode (no Twilio): texts sent outside a reply land in the dev outbox."""
    settings = make_settings(tmp_path, twilio_account_sid=None, twilio_auth_token=None)
    async with running_app(settings, keyspace, clock=lambda: NOW) as application:
        yield application


async def say(http: httpx.AsyncClient, text: str) -> list[str]:
    response = await http.post("/chat/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return list(response.json()["replies"])


async def first_part_shared_with_the_social_worker(http: httpx.AsyncClient, app: FastAPI) -> str:
    """Onboarding and Basic needs, shared with the hospital social worker; the address."""
    engine = runtime_of(app).service.engine
    await say(http, "hi")
    address = f"web:{http.cookies[COOKIE_NAME]}"
    store = store_of(app)
    today = NOW.date()  # the app's clock, in New York as in UTC
    while True:
        session = await store.load(address)
        assert session is not None
        if session.step == "share_basic_needs":
            await say(http, "1")
            return address
        text = next_text(engine, session, today)
        assert text is not None
        await say(http, text)


async def test_my_record_texts_who_read_the_plan(dev_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=dev_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        address = await first_part_shared_with_the_social_worker(http, dev_app)
        store = store_of(dev_app)
        plan_id = plan_id_of(store.keys_for(address).contact)
        bearer = {"Authorization": f"Bearer {ROSA}"}

        async def readable() -> bool:
            got = await http.get(f"/api/v1/plans/{plan_id}", headers=bearer)
            return got.status_code == 200

        await eventually(readable, 15, "the worker records the consent")
        replies = await say(http, "my record")
        assert replies[0].startswith("I'll text you the list")

        async def texted() -> bool:
            return any("Who has seen your plan" in t for t in await store.dev_outbox(address))

        await eventually(texted, 15, "the text is sent")
        record = next(t for t in await store.dev_outbox(address) if "Who has seen" in t)
        assert "Hartford Hope Hospital and Family Services - Basic needs" in record


async def test_delete_my_data_asks_twice_then_leaves_no_key(
    dev_app: FastAPI, keyspace: KeySpace
) -> None:
    transport = httpx.ASGITransport(app=dev_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        address = await first_part_shared_with_the_social_worker(http, dev_app)
        contact = store_of(dev_app).keys_for(address).contact
        assert "can't be undone" in (await say(http, "DELETE MY DATA"))[0]
        assert "Reply DELETE" in (await say(http, "yes"))[0]
        assert (await say(http, "delete"))[0].startswith("Your data is being deleted")

        erasures_key = f"{keyspace.prefix}careteam:erasures"

        async def erased() -> bool:
            # The erasure is logged last, after the keys go: wait for it, not for the keys
            # alone (found racing under faketime: polled between the two, the log was empty).
            return bool(keyspace.client.xlen(erasures_key))

        await eventually(erased, 15, "the erasure is logged")
        assert not [k for k in keyspace.stored() if contact.encode() in k]
        assert await store_of(dev_app).load(address) is None
        erasures: list[Any] = keyspace.client.xrange(erasures_key)
        assert len(erasures) == 1
        assert contact.encode() not in repr(erasures).encode()


async def test_my_plan_texts_a_private_link_to_the_printable_plan(
    dev_app: FastAPI, keyspace: KeySpace
) -> None:
    transport = httpx.ASGITransport(app=dev_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        address = await first_part_shared_with_the_social_worker(http, dev_app)
        store = store_of(dev_app)
        await say(http, "private on")  # a shared phone: its texts leave the details out
        assert (await say(http, "my plan"))[0].startswith("I'll text you a private link")

        async def texted() -> bool:
            return any(t.startswith("Your plan: ") for t in await store.dev_outbox(address))

        await eventually(texted, 15, "the text is sent")
        link = next(t for t in await store.dev_outbox(address) if t.startswith("Your plan: "))
        url = link.split()[2]
        path = url.removeprefix(runtime_of(dev_app).settings.public_base_url)
        assert path.startswith("/plan/")
        shown = await http.get(path)
        assert shown.status_code == 200
        assert shown.headers["referrer-policy"] == "no-referrer"
        assert shown.headers["cache-control"] == "no-store"
        assert "Basic needs" in shown.text
        assert "Back to the plan" not in shown.text
        # The full consent a shared phone's texts leave out: who by name, through whom,
        # exactly what the part holds, who sees it now, the date and how long.
        sharing = shown.text.split('class="psection sharing"', 1)[1].split("</section>", 1)[0]
        assert "Hartford Hope Hospital and Family Services, through Safe Start" in sharing
        assert f"Today is {NOW.month}/{NOW.day}/{NOW.year}." in sharing
        assert "What it holds: Place to live, Place after birth, Enough food" in sharing
        assert "Who may see it now: Hospital social worker" in sharing
        assert "It lasts until your baby turns 1" in sharing
        assert "Treatment provider" not in sharing  # no one picked it
        forged = path[:-4] + "abcd"
        assert (await http.get(forged)).status_code == 404
        # Only the token's hash is stored, under the parent's hash tag; when it expires, so
        # does the link.
        token = path.rsplit("/", 1)[1]
        assert not [k for k in keyspace.stored() if token.encode() in k]
        for key in keyspace.stored():
            if b":planlink:" in key:
                keyspace.client.delete(key)
        assert (await http.get(path)).status_code == 404
