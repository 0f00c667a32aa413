"""The private web-chat link in headless Chromium: texted to a parent on CHAT, opened at
320 px, it continues the parent's SMS plan, and the finished section goes to the same
care-team delivery (the outbox event of the parent's own contact)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app import create_app
from bot.engine.events import SectionCompleted
from bot.engine.machine import Engine
from bot.service import Handled
from bot.settings import Settings
from tests.browser.test_webchat import load_session, say
from tests.clock import NOW
from tests.fakes import UvicornThread
from tests.fakes.twilio_server import FakeTwilio
from tests.web.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    KeySpace,
    inbound_params,
    make_settings,
    new_keyspace,
    new_phone,
    runtime_of,
    sign,
    twiml_messages,
)
from tests.web.test_whole_plan import next_text

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("redis-db14")]

MAX_TURNS = 200


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Settings:
    """Live Twilio (the local fake): the webhook checks signatures; no dev outbox."""
    return make_settings(
        tmp_path_factory.mktemp("chat-link"),
        twilio_api_base_url=twilio.base_url,
        flood_texts_per_contact=10_000,
    )


@pytest.fixture(scope="module")
def keyspace() -> Iterator[KeySpace]:
    with new_keyspace() as space:
        yield space


@pytest.fixture(scope="module")
def server(settings: Settings, keyspace: KeySpace) -> Iterator[UvicornThread]:
    app = create_app(settings, key_prefix=keyspace.prefix, clock=lambda: NOW)
    with UvicornThread(app) as running:
        yield running


def sms(server: UvicornThread, phone: str, body: str) -> list[str]:
    """One signed inbound SMS to the running app; the TwiML replies."""
    params = inbound_params(phone, body)
    headers = {"X-Twilio-Signature": sign("/twilio/sms", params)}
    response = httpx.post(f"{server.base_url}/twilio/sms", data=params, headers=headers)
    assert response.status_code == 200, response.text
    return twiml_messages(response.text)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


def test_the_texted_link_continues_the_plan_and_reaches_the_care_team(
    page: Page, server: UvicornThread, settings: Settings, keyspace: KeySpace
) -> None:
    """Consent by SMS, CHAT, the link opened in Chromium: the rest of onboarding and a whole
    section are answered in the browser, on the SMS contact's plan; the section's
    completion is an event of that contact, as for SMS (care-team delivery reads it)."""
    runtime = runtime_of(server.app)
    engine: Engine = runtime.service.engine
    seen: list[Handled] = []
    section_done = threading.Event()

    async def watch(handled: Handled) -> None:
        seen.append(handled)
        if any(isinstance(e, SectionCompleted) for e in handled.events):
            section_done.set()

    runtime.service.add_hook(watch)
    phone = new_phone()
    sms(server, phone, "Hi")
    sms(server, phone, "yes")
    [reply] = sms(server, phone, "CHAT")
    found = re.search(re.escape(PUBLIC_BASE_URL) + r"(/chat/open/\S+)", reply)
    assert found is not None, reply

    page.goto(server.base_url + found.group(1))
    assert page.url == f"{server.base_url}/chat"
    expect(page.locator("#intro")).to_contain_text("continues the plan you started by text")
    expect(page.locator("#log")).to_have_attribute("aria-live", "polite")
    page.get_by_label("Your message").fill("MENU")  # a label a screen reader can find

    last = ""
    for _ in range(MAX_TURNS):
        session = load_session(settings, keyspace.prefix, phone)
        assert session is not None
        if any(session.plan.is_done(f.id) for f in engine.flows.sections):
            break
        today = NOW.astimezone(ZoneInfo(session.timezone or "America/New_York")).date()
        last = say(page, next_text(engine, session, last, today))[-1]
    else:
        raise AssertionError("no section finished in the browser")

    assert section_done.wait(timeout=5)  # hooks run beside the reply, not before it
    completed = [
        (h.address, h.channel) for h in seen for e in h.events if isinstance(e, SectionCompleted)
    ]
    assert completed == [(phone, "web")]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320  # nothing wider than the phone's screen
