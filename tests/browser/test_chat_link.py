"""The private web-chat link in headless Chromium: texted to a parent on CHAT, opened at
320 px, it continues the parent's SMS plan, and the finished section, once the parent says
who may see it, is delivered signed to that organization's endpoint, as for SMS."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Page, Response, expect

from bot.careteam.directory.tokens import new_webhook_secret
from bot.engine.events import SectionCompleted
from bot.engine.machine import Engine
from bot.service import Handled
from bot.settings import Settings
from tests.browser.test_webchat import load_session, say
from tests.clock import NOW
from tests.fakes import UvicornThread
from tests.fakes.receiver import Receiver
from tests.fakes.twilio_server import FakeTwilio
from tests.web.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    KeySpace,
    inbound_params,
    make_settings,
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
def team() -> Iterator[tuple[Receiver, dict[str, Any]]]:
    """The shipped care-team directory with every endpoint pointed at a local receiver that
    checks the Standard Webhooks signature with that endpoint's own secret."""
    directory = yaml.safe_load(Settings(_env_file=None).care_team_file.read_text())
    secrets = {e["id"]: new_webhook_secret() for e in directory["endpoints"]}
    receiver = Receiver(secrets).start()
    for endpoint in directory["endpoints"]:
        endpoint["url"] = receiver.url(endpoint["id"])
        endpoint["secret"] = secrets[endpoint["id"]]
    try:
        yield receiver, directory
    finally:
        receiver.stop()


@pytest.fixture(scope="module")
def settings(
    tmp_path_factory: pytest.TempPathFactory,
    twilio: FakeTwilio,
    team: tuple[Receiver, dict[str, Any]],
) -> Settings:
    """Live Twilio (the local fake): the webhook checks signatures; no dev outbox."""
    folder = tmp_path_factory.mktemp("chat-link")
    care_team = folder / "careteam.yaml"
    care_team.write_text(yaml.safe_dump(team[1], sort_keys=False))
    return make_settings(
        folder,
        twilio_api_base_url=twilio.base_url,
        flood_texts_per_contact=10_000,
        care_team_file=care_team,
    )


def sms(server: UvicornThread, phone: str, body: str) -> list[str]:
    """One signed inbound SMS to the running app; the TwiML replies."""
    params = inbound_params(phone, body)
    headers = {"X-Twilio-Signature": sign("/twilio/sms", params)}
    response = httpx.post(f"{server.base_url}/twilio/sms", data=params, headers=headers)
    assert response.status_code == 200, response.text
    return twiml_messages(response.text)


def texted_link(server: UvicornThread, phone: str) -> str:
    """A parent who agreed to texts sends CHAT: the path of the private link texted back."""
    sms(server, phone, "Hi")
    sms(server, phone, "yes")
    [reply] = sms(server, phone, "CHAT")
    found = re.search(re.escape(PUBLIC_BASE_URL) + r"(/chat/open/\S+)", reply)
    assert found is not None, reply
    return found.group(1)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


def test_the_texted_link_continues_the_plan_and_reaches_the_care_team(
    page: Page,
    server: UvicornThread,
    settings: Settings,
    keyspace: KeySpace,
    team: tuple[Receiver, dict[str, Any]],
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
    page.goto(server.base_url + texted_link(server, phone))
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
    # The same care-team delivery as for SMS: the shared section arrives, signed, at the
    # endpoint of the organization serving the parent's ZIP.
    [done] = [e for h in seen for e in h.events if isinstance(e, SectionCompleted)]
    receiver = team[0]

    def delivered() -> list[str]:
        return [
            r.endpoint
            for r in receiver.processed()
            if r.body.get("type") == "plan.section.completed"
            and r.body["section"]["key"] == done.section
        ]

    # Then the parent says who may see it (asked after the part, one question per part),
    # still in the browser: the consent releases the section to that organization's endpoint.
    for _ in range(40):
        if delivered():
            break
        session = load_session(settings, keyspace.prefix, phone)
        assert session is not None
        today = NOW.astimezone(ZoneInfo(session.timezone or "America/New_York")).date()
        last = say(page, next_text(engine, session, last, today))[-1]
        receiver.arrived.wait(0.5)
    deadline = time.monotonic() + 10
    while not delivered() and time.monotonic() < deadline:
        receiver.arrived.wait(0.2)
    final = load_session(settings, keyspace.prefix, phone)
    assert final is not None
    assert final.plan.answers["care_team"]["share_basic_needs"] == ["social_worker"]
    # Hartford Hope serves ZIP 06103; its EHR endpoint takes what its social worker may see.
    assert delivered() == ["hope_ehr"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320  # nothing wider than the phone's screen


def test_the_linked_chat_works_on_a_slow_phone_connection(
    page: Page, server: UvicornThread
) -> None:
    """Chrome's 'Slow 3G' (400 ms round trips, 50 KB/s down): the page and its script load
    and a reply shows within the page's own 5 s timeouts; the page weighs a few KB."""
    link = texted_link(server, new_phone())
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 50_000,
            "uploadThroughput": 20_000,
        },
    )
    loaded: list[Response] = []
    page.on("response", lambda response: loaded.append(response))
    page.goto(server.base_url + link)
    assert say(page, "MENU")
    files = [
        r
        for r in loaded
        if r.ok
        and r.request.method == "GET"
        and "event-stream" not in r.headers.get("content-type", "")
    ]
    assert {r.url.rsplit("/", 1)[-1] for r in files} >= {"chat", "chat.js", "chat.css"}
    weight = sum(len(r.body()) for r in files)
    assert weight < 40_000, weight  # the page, its script and its stylesheet
