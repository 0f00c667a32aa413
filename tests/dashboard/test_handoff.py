"""The handoff inbox: a parent asks for a person, a member claims, answers, hands back."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.channels.webchat import COOKIE_NAME
from tests.dashboard.conftest import Running, csrf_of, sign_in, start_running
from tests.dashboard.seed import Seeded, shares
from tests.fakes.twilio_server import FakeTwilio
from tests.web.conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, KeySpace

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("redis-db11")]

# Maria shares a section with social workers and nurses of Hartford Hope.
TEAM = shares(share_basic_needs=["social_worker", "medical"])


class Parent:
    """A parent in the web chat (cookie = chat id), texting the app's real service."""

    def __init__(self, running: Running) -> None:
        self.chat_id = secrets.token_urlsafe(24)
        self.http = running.client()
        self.http.headers["cookie"] = f"{COOKIE_NAME}={self.chat_id}"

    @property
    def address(self) -> str:
        return f"web:{self.chat_id}"

    async def say(self, text: str) -> tuple[list[str], list[str]]:
        """(the bot's replies, texts that waited in this chat's outbox)."""
        response = await self.http.post("/chat/messages", json={"text": text})
        assert response.status_code == 200, response.text
        body = response.json()
        return body["replies"], body["outbox"]


async def member(running: Running, member_id: str) -> httpx.AsyncClient:
    http = running.client()
    assert (await sign_in(http, member_id)).status_code == 303
    return http


async def post(http: httpx.AsyncClient, made: Seeded, action: str, **data: str) -> httpx.Response:
    page = await http.get(f"/care/inbox/{made.plan_id}")
    return await http.post(
        f"/care/inbox/{made.plan_id}/{action}", data={"csrf": csrf_of(page), **data}
    )


async def asking(running: Running, name: str = "Maria", **options: object) -> tuple[Parent, Seeded]:
    """A parent who finished the plan, sharing with the team, who then texts TALK."""
    parent = Parent(running)
    made = await running.seed(name, TEAM, address=parent.address, **options)  # type: ignore[arg-type]
    replies, _ = await parent.say("TALK")
    assert any("team" in r.lower() for r in replies), replies  # "someone ... will text you"
    return parent, made


async def test_a_parent_who_asks_for_a_person_is_in_their_teams_inbox(running: Running) -> None:
    _parent, made = await asking(running)
    inboxes = {}
    for member_id in ("hope_sw", "hope_nurse", "hope_tx", "laramie_on_call"):
        page = await (await member(running, member_id)).get("/care/inbox")
        inboxes[member_id] = made.plan_id in page.text
    # The on-call and the nurse the parent shares with; not the counselor, not Laramie.
    assert inboxes == {
        "hope_sw": True,
        "hope_nurse": True,
        "hope_tx": False,
        "laramie_on_call": False,
    }
    denied = await (await member(running, "laramie_on_call")).get(f"/care/inbox/{made.plan_id}")
    assert denied.status_code == 404


async def test_the_on_call_answers_a_parent_who_shares_nothing(running: Running) -> None:
    """No consent yet: the on-call of the organization serving the ZIP code still answers,
    sees the texts from the request on, and no plan."""
    parent = Parent(running)
    made = await running.seed(
        "Zoe",
        shares(),
        address=parent.address,
        history=[
            ["in", "my treatment clinic is on Main St", "2020-01-01T00:00:00+00:00"],
        ],
    )
    await parent.say("talk")
    http = await member(running, "hope_sw")
    assert made.plan_id in (await http.get("/care/inbox")).text
    page = await http.get(f"/care/inbox/{made.plan_id}")
    assert page.status_code == 200
    assert "talk" in page.text
    assert "treatment clinic" not in page.text  # before the request: a plan answer
    assert "1 earlier text" in page.text
    assert "See the plan" not in page.text
    assert (await http.get("/care")).text.count(made.plan_id) == 0


async def test_claim_answer_and_hand_back(running: Running) -> None:
    parent, made = await asking(running)
    rosa = await member(running, "hope_sw")
    claimed = await post(rosa, made, "claim")
    assert (claimed.status_code, claimed.headers["location"]) == (
        303,
        f"/care/inbox/{made.plan_id}?done=claimed",
    )
    session = await running.session_of(made)
    assert session.handoff_claim is not None
    assert session.handoff_claim["member"] == "hope_sw"
    until = datetime.fromisoformat(session.handoff_claim["until"])
    assert timedelta(hours=3, minutes=59) < until - running.clock() <= timedelta(hours=4)

    # The bot stays quiet while Rosa has the conversation; the parent's text is kept for her.
    replies, _ = await parent.say("are you there?")
    assert replies == []
    page = await rosa.get(f"/care/inbox/{made.plan_id}")
    assert "are you there?" in page.text
    assert "You are answering until" in page.text

    # Another member of the team cannot take over or talk across her.
    dana = await member(running, "hope_nurse")
    for action, data in (("claim", {}), ("answer", {"text": "Hi, Dana here"})):
        refused = await post(dana, made, action, **data)
        assert refused.status_code == 409
        assert "Rosa Díaz is answering this conversation." in refused.text

    sent = await post(rosa, made, "answer", text="Hi Maria, this is Rosa. How can I help?")
    assert sent.status_code == 303
    _replies, outbox = await parent.say("I need a ride on Tuesday")
    assert "Hi Maria, this is Rosa. How can I help?" in outbox
    page = await rosa.get(f"/care/inbox/{made.plan_id}")
    assert "I need a ride on Tuesday" in page.text
    history = (await running.session_of(made)).history
    assert ["out", "Hi Maria, this is Rosa. How can I help?"] in [h[:2] for h in history]

    back = await post(rosa, made, "hand-back")
    assert back.status_code == 303
    session = await running.session_of(made)
    assert session.handoff_claim is None
    assert "handoff" not in session.plan.flags
    assert made.plan_id not in (await rosa.get("/care/inbox")).text
    replies, _ = await parent.say("menu")
    assert replies  # the bot answers again

    log = await running.dash.records.audit_log(made.contact)
    actions = [(e.actor, e.action) for e in log if e.action.startswith("handoff.")]
    assert actions == [
        ("hope_sw", "handoff.claim"),
        ("hope_sw", "handoff.answer"),
        ("hope_sw", "handoff.hand_back"),
    ]
    # Each look at the conversation is in the log too; the text itself never is.
    assert all("Rosa. How can I help" not in e.what for e in log)
    assert ("hope_sw", "read", "dashboard.conversation") in [
        (e.actor, e.action, e.what) for e in log
    ]


async def test_answering_needs_a_claim_and_some_words(running: Running) -> None:
    _parent, made = await asking(running)
    rosa = await member(running, "hope_sw")
    unclaimed = await post(rosa, made, "answer", text="Hello")
    assert unclaimed.status_code == 409
    assert "Claim the conversation first" in unclaimed.text
    assert (await post(rosa, made, "claim")).status_code == 303
    empty = await post(rosa, made, "answer", text="   ")
    assert empty.status_code == 409
    assert "Please write an answer" in empty.text


async def test_a_claim_runs_out_and_the_bot_answers_again(running: Running) -> None:
    parent, made = await asking(running)
    rosa = await member(running, "hope_sw")
    assert (await post(rosa, made, "claim")).status_code == 303
    assert (await parent.say("hello?"))[0] == []
    running.clock.advance(timedelta(hours=4, minutes=1))
    replies, _ = await parent.say("hello?")
    assert replies
    rosa = await member(running, "hope_sw")  # four idle hours signed her out
    page = await rosa.get("/care/inbox")
    assert "No one yet" in page.text  # the request is still open, now unclaimed


async def test_a_parent_who_texted_stop_is_not_texted(running: Running) -> None:
    parent, made = await asking(running)
    rosa = await member(running, "hope_sw")
    assert (await post(rosa, made, "claim")).status_code == 303
    await parent.say("STOP")
    refused = await post(rosa, made, "answer", text="Are you OK?")
    assert refused.status_code == 409
    assert "texted STOP" in refused.text
    _replies, outbox = await parent.say("hi")
    assert "Are you OK?" not in outbox


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


async def test_an_answer_to_a_phone_goes_out_by_sms(
    tmp_path: Path, keyspace: KeySpace, fake_twilio: FakeTwilio
) -> None:
    """Through the Twilio SDK to the local Twilio-compatible server, to the parent's phone."""
    fake_twilio.clear()
    live = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": FROM_NUMBER,
        "twilio_api_base_url": fake_twilio.base_url,
    }
    async with start_running(tmp_path, keyspace, **live) as running:
        now = running.clock()
        made = await running.seed("Maria", TEAM, flags={"handoff": now}, handoff=True)
        rosa = await member(running, "hope_sw")
        assert (await post(rosa, made, "claim")).status_code == 303
        assert (await post(rosa, made, "answer", text="Hi Maria, it's Rosa.")).status_code == 303
        [message] = fake_twilio.wait_for(1)
        assert (message.to, message.body) == (made.address, "Hi Maria, it's Rosa.")
        log = await running.dash.records.audit_log(made.contact)
        assert [e.result for e in log if e.action == "handoff.answer"] == [message.sid]


async def test_a_yes_to_a_check_in_is_an_open_request_with_a_needs_a_look_flag(
    running: Running,
) -> None:
    """The parent changes "how I feel" to "really struggling" and says YES to a check-in:
    the on-call member finds her in the inbox and flagged on the plans list and her plan,
    marked private, with nothing of the answers behind it."""
    parent = Parent(running)
    made = await running.seed("Maria", TEAM, address=parent.address)
    await parent.say("menu")
    replies, _ = await parent.say("4")  # Recovery and emotional health: its read-back
    mood = next(line.split(".")[0] for r in replies for line in r.splitlines() if "feel" in line)
    replies, _ = await parent.say(mood)
    replies, _ = await parent.say("4")  # I'm really struggling
    assert any("check in with you" in r for r in replies), replies
    replies, _ = await parent.say("yes")
    assert any("reach out to you soon" in r for r in replies), replies

    rosa = await member(running, "hope_sw")  # on call, and sees Basic needs
    pages = [
        await rosa.get("/care/inbox"),
        await rosa.get("/care"),
        await rosa.get(f"/care/plans/{made.plan_id}"),
        await rosa.get(f"/care/inbox/{made.plan_id}"),
    ]
    for page in pages[:3]:
        assert "Asked to be reached privately" in page.text
    for page in pages:
        assert page.status_code == 200
        assert made.plan_id in page.text
        assert "struggling" not in page.text.lower()
        assert "worried" not in page.text.lower()
    dana = await member(running, "hope_nurse")  # not on call: the flag is on her list too
    assert "Asked to be reached privately" in (await dana.get("/care")).text


async def test_no_take_over_without_a_request_or_a_reason(running: Running) -> None:
    """A parent in the middle of the plan who asked for no one: a member of her team can
    neither claim nor answer; the bot keeps answering her and she gets no text."""
    parent = Parent(running)
    made = await running.seed("Maria", TEAM, address=parent.address)
    rosa = await member(running, "hope_sw")
    page = await rosa.get(f"/care/inbox/{made.plan_id}")
    assert "has not asked for a person" in page.text  # the form asks why
    refused = await post(rosa, made, "claim")
    assert refused.status_code == 409
    assert "has not asked for a person" in refused.text
    too_short = await post(rosa, made, "claim", reason="because")
    assert too_short.status_code == 409
    unclaimed = await post(rosa, made, "answer", text="Hello from the nurse")
    assert unclaimed.status_code == 409
    session = await running.session_of(made)
    assert session.handoff_claim is None
    replies, outbox = await parent.say("MENU")
    assert replies
    assert "Hello from the nurse" not in outbox
    log = await running.dash.records.audit_log(made.contact)
    assert [e for e in log if e.action.startswith("handoff.")] == []


async def test_a_crisis_is_an_open_request(running: Running) -> None:
    parent = Parent(running)
    made = await running.seed("Maria", TEAM, address=parent.address)
    await parent.say("I want to kill myself")
    rosa = await member(running, "hope_sw")
    assert (await post(rosa, made, "claim")).status_code == 303
    log = await running.dash.records.audit_log(made.contact)
    assert [e.what.split(", ")[-1] for e in log if e.action == "handoff.claim"] == [
        "request crisis"
    ]


async def test_a_written_reason_lets_a_member_take_over_and_is_audited(running: Running) -> None:
    parent = Parent(running)
    made = await running.seed("Maria", TEAM, address=parent.address)
    rosa = await member(running, "hope_sw")
    reason = "Her home visitor called: she asked us to text her about Tuesday."
    assert (await post(rosa, made, "claim", reason=reason)).status_code == 303
    assert (await post(rosa, made, "answer", text="Hi Maria, it's Rosa.")).status_code == 303
    _replies, outbox = await parent.say("hi")
    assert "Hi Maria, it's Rosa." in outbox
    log = await running.dash.records.audit_log(made.contact)
    [claimed] = [e for e in log if e.action == "handoff.claim"]
    assert claimed.actor == "hope_sw"
    assert claimed.what.endswith(f"no request; reason: {reason}")
