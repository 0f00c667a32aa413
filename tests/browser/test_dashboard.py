"""The care-team dashboard in headless Chromium: two organizations, a handoff by SMS, printing.

The real app under uvicorn in live Twilio mode, pointed at the local Twilio-compatible
server; real Redis (db 11). Parents text through signed Twilio webhooks.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app import create_app
from bot.careteam.consent import SHARE_STEPS
from bot.careteam.directory import load_directory
from bot.careteam.records import CareRecords
from bot.settings import Settings
from bot.store.care_records_redis import RedisCareRecords
from bot.store.client import client_for_url
from bot.store.crypto import cipher_from_settings
from bot.store.keys.dashboard import DashKeys
from bot.store.redis_store import RedisConversationStore
from tests.browser.conftest import ARTIFACTS
from tests.clock import NOW
from tests.dashboard.conftest import (
    MEMBERS,
    PASSWORD,
    REDIS_URL,
    cheap_hashing,
    dashboard_settings,
    hashed_password,
    new_keyspace,
    with_dashboard,
)
from tests.dashboard.seed import (
    LARAMIE,
    Seeded,
    finished_plan,
    recovery_to,
    seed_plan,
    shares,
)
from tests.fakes import UvicornThread
from tests.fakes.twilio_server import FakeTwilio
from tests.web.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    KeySpace,
    inbound_params,
    runtime_of,
    sign,
    twiml_messages,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("redis-db11")]

TABLET = {"width": 768, "height": 1024}
EVERYTHING_TO_HOME_VISITORS = {
    **{step: ["home_visitor"] for step in SHARE_STEPS.values()},
    **recovery_to("home_visitor"),
    "share_safety_private": True,
}


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def keyspace() -> Iterator[KeySpace]:
    with new_keyspace() as space:
        yield space


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Settings:
    return dashboard_settings(
        tmp_path_factory.mktemp("dashboard"),
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base_url=twilio.base_url,
    )


@pytest.fixture(scope="module")
def server(settings: Settings, keyspace: KeySpace) -> Iterator[UvicornThread]:
    app = with_dashboard(
        create_app(
            settings,
            key_prefix=keyspace.prefix,
            clock=lambda: NOW,
            dashboard_config=cheap_hashing(settings),
            freeze_heap=False,
        )
    )
    with UvicornThread(app) as running:
        for member in MEMBERS:
            keyspace.client.set(DashKeys(keyspace.prefix).password(member), hashed_password())
        yield running


@pytest.fixture(scope="module")
def plans(settings: Settings, keyspace: KeySpace, server: UvicornThread) -> dict[str, Seeded]:
    """Maria (Hartford, English) shares with social workers and nurses; Lucía (Laramie,
    Spanish) shares every part with home visitors (the longest printout). Seeded in a worker
    thread: Playwright's sync API keeps an event loop running in this one."""
    engine = runtime_of(server.app).service.engine

    async def seed() -> dict[str, Seeded]:
        client = client_for_url(REDIS_URL)
        cipher = cipher_from_settings(settings)
        store = RedisConversationStore(client, cipher, prefix=keyspace.prefix)
        records = CareRecords(RedisCareRecords(client, cipher, keyspace.prefix))
        directory = load_directory(settings.care_team_file)
        template = finished_plan(engine, NOW)
        try:
            maria = await seed_plan(
                store,
                records,
                directory,
                template,
                name="Maria",
                consent=shares(
                    share_basic_needs=["social_worker", "medical"], share_health=["medical"]
                ),
            )
            lucia = await seed_plan(
                store,
                records,
                directory,
                template,
                name="Lucía",
                zip_code=LARAMIE,
                locale="es",
                consent=EVERYTHING_TO_HOME_VISITORS,
            )
        finally:
            await store.close()
        return {"maria": maria, "lucia": lucia}

    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, seed()).result()


class Tablet:
    """One member's browser at tablet size; remembers every URL it fetched."""

    def __init__(self, browser: Browser, server: UvicornThread) -> None:
        self.base = server.base_url
        self.context: BrowserContext = browser.new_context(viewport=TABLET)
        self.context.set_default_timeout(10_000)
        self.page: Page = self.context.new_page()
        self.fetched: list[str] = []
        self.page.on("request", lambda request: self.fetched.append(request.url))

    def sign_in(self, member: str) -> Page:
        page = self.page
        page.goto(f"{self.base}/care")
        expect(page).to_have_url(f"{self.base}/care/sign-in")
        page.get_by_label("Member ID").fill(member)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{self.base}/care")
        return page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tablets(browser: Browser, server: UvicornThread) -> Iterator[list[Tablet]]:
    opened: list[Tablet] = []
    yield opened
    for tablet in opened:
        tablet.close()


def open_tablet(tablets: list[Tablet], browser: Browser, server: UvicornThread) -> Tablet:
    tablet = Tablet(browser, server)
    tablets.append(tablet)
    return tablet


def text_in(server: UvicornThread, phone: str, body: str) -> list[str]:
    """A parent's SMS, as Twilio posts it (signed against PUBLIC_BASE_URL); the TwiML replies."""
    params = inbound_params(phone, body)
    response = httpx.post(
        f"{server.base_url}/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": sign("/twilio/sms", params)},
    )
    assert response.status_code == 200, response.text
    return twiml_messages(response.text)


def listed_names(page: Page) -> list[str]:
    return page.locator("table.plans tbody th a").all_inner_texts()


def no_horizontal_scroll(page: Page) -> None:
    widths: Any = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll: {widths}"


def test_two_organizations_see_only_their_own_families(
    browser: Browser, server: UvicornThread, plans: dict[str, Seeded], tablets: list[Tablet]
) -> None:
    hartford = open_tablet(tablets, browser, server)
    page = hartford.sign_in("hope_sw")
    assert listed_names(page) == ["Maria"]
    expect(page.get_by_role("heading", name="Plans shared with you")).to_be_visible()
    no_horizontal_scroll(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # `make screenshots` copies this one to docs/dashboard.png.
    page.screenshot(path=str(ARTIFACTS / "dashboard-plans.png"), animations="disabled")
    page.get_by_role("link", name="Maria").click()
    expect(page.get_by_role("heading", name="Maria", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Basic needs")).to_be_visible()
    expect(page.get_by_role("heading", name="Health for you")).to_have_count(0)
    no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "dashboard-plan.png"), full_page=True)
    page.goto(f"{server.base_url}/care/plans/{plans['lucia'].plan_id}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    laramie = open_tablet(tablets, browser, server)
    page = laramie.sign_in("laramie_hv")
    assert listed_names(page) == ["Lucía"]
    page.goto(f"{server.base_url}/care/plans/{plans['maria'].plan_id}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    # Everything came from the app itself: no CDN, no outside font or script.
    for tablet in (hartford, laramie):
        outside = [u for u in tablet.fetched if not u.startswith(server.base_url)]
        assert outside == []


def test_keyboard_alone_signs_in_and_reaches_a_plan(
    browser: Browser, server: UvicornThread, plans: dict[str, Seeded], tablets: list[Tablet]
) -> None:
    """Skip link first, labelled fields, Enter to submit, visible focus, links by Tab."""
    page = open_tablet(tablets, browser, server).page
    page.goto(f"{server.base_url}/care/sign-in")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert skip.is_visible()  # shown when focused
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")  # to the main content: its first field is next
    page.keyboard.press("Tab")
    expect(page.get_by_label("Member ID")).to_be_focused()
    page.keyboard.type("hope_nurse")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.base_url}/care")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Maria":
            break
    else:
        raise AssertionError("Tab never reached the plan's link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Health for you")).to_be_visible()
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
                 .map(el => el.name)"""
    )
    assert unlabelled == []


def test_a_handoff_answered_from_the_dashboard_reaches_the_parents_phone(
    browser: Browser,
    server: UvicornThread,
    plans: dict[str, Seeded],
    tablets: list[Tablet],
    twilio: FakeTwilio,
) -> None:
    phone = plans["maria"].address
    [kind] = text_in(server, phone, "TALK")
    assert "team" in kind.lower()  # at once: someone from your team will text you
    page = open_tablet(tablets, browser, server).sign_in("hope_sw")
    expect(page.get_by_text("Asked for a person")).to_be_visible()
    page.get_by_role("link", name="Inbox").click()
    page.get_by_role("link", name="Maria").click()
    expect(page.get_by_text("TALK", exact=True)).to_be_visible()
    page.get_by_role("button", name="Claim this conversation").click()
    expect(page.get_by_role("status")).to_contain_text("You are answering this conversation")

    assert text_in(server, phone, "hello? anyone there") == []  # the bot stays quiet
    page.reload()
    expect(page.get_by_text("hello? anyone there")).to_be_visible()

    twilio.clear()
    page.get_by_label("Your text to Maria").fill("Hi Maria, this is Rosa from Hartford Hope.")
    page.get_by_role("button", name="Send text").click()
    expect(page.get_by_role("status")).to_contain_text("texted to the parent")
    [sms] = twilio.wait_for(1)
    assert (sms.to, sms.body) == (phone, "Hi Maria, this is Rosa from Hartford Hope.")
    page.screenshot(path=str(ARTIFACTS / "dashboard-conversation.png"), full_page=True)

    assert text_in(server, phone, "thank you") == []  # still quiet until hand-back
    page.get_by_role("button", name="Hand back to the bot").click()
    expect(page.get_by_role("status")).to_contain_text("the bot answers the parent again")
    assert text_in(server, phone, "menu") != []
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Inbox").click()
    expect(page.get_by_text("No one is waiting.")).to_be_visible()


def test_the_printable_plan_in_two_languages_saved_as_pdf(
    browser: Browser, server: UvicornThread, plans: dict[str, Seeded], tablets: list[Tablet]
) -> None:
    page = open_tablet(tablets, browser, server).sign_in("laramie_hv")
    page.get_by_role("link", name="Lucía").click()
    page.get_by_role("link", name="Printable plan").click()
    expect(page.locator('article[lang="es"] h1')).to_have_text("Plan de Cuidado Seguro")
    expect(page.locator('article[lang="en"] h1')).to_have_text("Plan of Safe Care")
    expect(page.get_by_role("heading", name="Necesidades básicas")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-print-screen.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.get_by_text("Back to the plan")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "dashboard-print.png"), full_page=True)
    pdf = ARTIFACTS / "dashboard-plan.pdf"
    page.pdf(path=str(pdf), format="Letter", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    # Every part of the plan, in two languages, on at most three sheets.
    assert 1 <= pages <= 3, f"the printed plan takes {pages} pages"
