"""The web chat in headless Chromium: real page, real app under uvicorn, real Redis (db 14)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.engine.machine import Engine
from bot.engine.session import Session
from bot.settings import Settings
from bot.store.client import client_for_url
from bot.store.crypto import cipher_from_settings
from bot.store.redis_store import RedisConversationStore
from tests.browser.conftest import ARTIFACTS
from tests.clock import NOW
from tests.fakes import UvicornThread
from tests.web.conftest import REDIS_URL, KeySpace, make_settings, runtime_of
from tests.web.test_whole_plan import next_text

# Shares Redis db 14 with tests/web (flushed around tests): the same xdist worker runs both.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("redis-db14")]

SCREENSHOT = ARTIFACTS / "webchat.png"  # `make screenshots` copies it to docs/
MAX_TURNS = 600


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Dev mode: no Twilio credentials, so the page also shows the dev outbox. A whole plan
    # typed by a script is more messages in a minute than the flood limit lets one chat send.
    return make_settings(
        tmp_path_factory.mktemp("browser"),
        twilio_account_sid=None,
        twilio_auth_token=None,
        twilio_from_number=None,
        flood_texts_per_contact=10_000,
    )


@pytest.fixture
def page(browser: Browser, server: UvicornThread) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(5_000)
    opened = context.new_page()
    opened.goto(f"{server.base_url}/chat")
    yield opened
    context.close()


def say(page: Page, text: str) -> list[str]:
    """Type and send one message the way a parent would; return the bot's new replies."""
    before = page.locator(".msg.bot").count()
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(
        "n => !document.getElementById('send').disabled"
        " && document.querySelectorAll('.msg.bot').length > n",
        arg=before,
    )
    return page.locator(".msg.bot .text").all_inner_texts()[before:]


def load_session(settings: Settings, prefix: str, address: str) -> Session | None:
    """Read the conversation the way the app stores it (in a worker thread: Playwright's sync
    API keeps an event loop running in this one)."""

    async def load() -> Session | None:
        store = RedisConversationStore(
            client_for_url(REDIS_URL), cipher_from_settings(settings), prefix=prefix
        )
        try:
            return await store.load(address)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, load()).result()


def chat_address(page: Page) -> str:
    [cookie] = [c for c in page.context.cookies() if c["name"] == "safestart_chat"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    return f"web:{cookie['value']}"


def test_chat_a_few_turns_at_320_px(page: Page) -> None:
    """Consent, name, shared phone, stage: replies appear, the input is labelled, nothing
    scrolls sideways."""
    box = page.get_by_label("Your message")
    expect(box).to_be_visible()
    assert box.evaluate("el => el.id") == "message"
    assert page.locator("#log").get_attribute("aria-live") == "polite"

    assert say(page, "hi")[0].startswith("Hi! This is Safe Start.")
    assert "What would you like us to call you?" in say(page, "yes")[0]
    assert say(page, "Sam")[0].startswith("Do others use or see this phone?")
    assert say(page, "no")[0].startswith("Thanks, Sam. Are you pregnant now")
    assert "When is your baby due?" in say(page, "1")[0]
    expect(page.locator(".msg.me")).to_have_count(5)

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 320, f"horizontal scroll at 320 px: {widths}"
    for target in ("#send", "#message"):
        size = page.locator(target).bounding_box()
        assert size is not None, target
        assert min(size["height"], size["width"]) >= 44, (target, size)
    expect(page.get_by_text("Safe Start web chat (demo)")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 700})
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), animations="disabled")


def test_empty_message_shows_an_error_and_sends_nothing(page: Page) -> None:
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_have_text("Please type a message before sending.")
    expect(page.locator(".msg")).to_have_count(0)


def test_a_whole_plan_in_the_browser(
    page: Page, settings: Settings, server: UvicornThread, keyspace: KeySpace
) -> None:
    """Every section, answered in Chromium: the plan reports all 8 parts done."""
    engine: Engine = runtime_of(server.app).service.engine
    sections = [f.id for f in engine.flows.sections]
    say(page, "hi")
    address = chat_address(page)
    last = say(page, "yes")[-1]
    for _ in range(MAX_TURNS):
        session = load_session(settings, keyspace.prefix, address)
        assert session is not None
        if all(session.plan.is_done(s) for s in sections):
            break
        tz = ZoneInfo(session.timezone or "America/New_York")
        today = NOW.astimezone(tz).date()  # the app's clock
        last = say(page, next_text(engine, session, last, today))[-1]
    else:
        raise AssertionError("the plan was not finished in the browser")
    assert "Every part of your Plan of Safe Care is done" in last
    assert len(sections) == 8


def send_later(settings: Settings, prefix: str, address: str, text: str) -> None:
    """A text sent to the chat outside its replies, the way the channel router sends a team
    member's answer or MY PLAN to a web chat (bot/channels/outbound.py): into its outbox."""

    async def push() -> None:
        store = RedisConversationStore(
            client_for_url(REDIS_URL), cipher_from_settings(settings), prefix=prefix
        )
        try:
            await store.push_dev_outbox(address, text)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, push()).result()


def test_an_idle_chat_hears_a_team_members_text_and_a_reload_keeps_the_history(
    page: Page, settings: Settings, keyspace: KeySpace
) -> None:
    """Nobody types: the member's text shows within 2 s (server-sent events), once, after the
    bot's replies; reloading the page shows the whole conversation again, in order."""
    say(page, "hi")
    say(page, "yes")
    address = chat_address(page)
    member = "Hi, this is Ana from your care team. I can call you today."
    send_later(settings, keyspace.prefix, address, member)
    arrived = page.locator(".msg.outbox .text")
    expect(arrived).to_have_text([member], timeout=2_000)
    before = page.locator(".msg .text").all_inner_texts()
    assert before[-1] == member
    assert [m.split()[0] for m in page.locator(".msg .who").all_inner_texts()].count("You:") == 2

    page.reload()
    expect(page.locator(".msg .text")).to_have_count(len(before))
    assert page.locator(".msg .text").all_inner_texts() == before
    kinds = page.locator(".msg").evaluate_all("ms => ms.map(m => m.className)")
    assert kinds[0] == "msg me"
    assert kinds[-1] == "msg outbox"
