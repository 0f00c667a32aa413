"""Taking a conversation over: claim it, answer by text, hand it back; clear a handled flag.

Every change goes through the store's transact (the contact's lock, a pure apply, one
atomic write), so it never races an inbound text. While a member's claim holds, the engine
stays quiet (STOP, HELP and crisis words still answer); it ends at hand-back or after
DashboardConfig.handoff_quiet without an answer.

A claim rests on the parent's open request (inbox.open_request: TALK, a private check-in,
crisis words). Without one, a member may still take over, but only by writing why; the
reason goes into the plan's audit trail with the claim.

HandoffError                 a handoff action that cannot be done; `message` is for the member
├── NotAllowed               no such plan, or the member is not on the parent's team
├── ClaimedByOther           another member holds the conversation
├── NotClaimed               answering needs a claim first
├── NoRequest                the parent asked for no one, and the member gave no reason
├── CannotText               the parent texted STOP
├── BadAnswer                empty or too long
└── SendFailed               the text did not go out (nothing was recorded)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.careteam.directory import Member
from bot.careteam.payload import contact_of
from bot.dashboard import audit
from bot.dashboard.about import FLAG_LABELS
from bot.dashboard.inbox import active_claim, may_answer, open_request
from bot.dashboard.wiring import Dashboard
from bot.engine.events import Event
from bot.engine.session import HISTORY_CAP, Session
from bot.errors import SafeStartError, StoreError

MAX_ANSWER = 1600  # one SMS can be 1600 characters at most
MIN_REASON, MAX_REASON = 10, 300  # a reason to take over without a request


class HandoffError(SafeStartError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(HandoffError):
    pass


class ClaimedByOther(HandoffError):
    pass


class NotClaimed(HandoffError):
    pass


class CannotText(HandoffError):
    pass


class NoRequest(HandoffError):
    pass


class BadAnswer(HandoffError):
    pass


class SendFailed(HandoffError):
    pass


@dataclass(frozen=True, slots=True)
class _Target:
    contact: str
    address: str
    session: Session


async def _target(dash: Dashboard, member: Member, plan_id: str, now: datetime) -> _Target:
    contact = contact_of(plan_id)
    address = await dash.store.address_of(contact) if contact else None
    session = await dash.store.load(address) if address else None
    if contact is None or address is None or session is None:
        raise NotAllowed("There is no such plan.")
    state = await dash.records.latest_consent(contact)
    if not may_answer(dash.directory, member, session, state, now):
        raise NotAllowed("Only the parent's care team can answer this conversation.")
    return _Target(contact, address, session)


def _claimed_by_other(session: Session, member: Member, now: datetime) -> None:
    current = active_claim(session, now)
    if current is not None and current.member != member.id:
        raise ClaimedByOther(f"{current.name} is answering this conversation.")


def _claim_for(member: Member, until: datetime) -> dict[str, str]:
    return {"member": member.id, "name": member.name, "until": until.isoformat()}


async def _change(dash: Dashboard, target: _Target, change: Callable[[Session], None]) -> Session:
    """Apply `change` to a copy of the stored session, under the contact's lock."""

    def apply(session: Session) -> tuple[Session, list[str], list[Event]]:
        changed = session.copy()
        change(changed)
        return changed, [], []

    outcome = await dash.store.transact(target.address, None, apply)
    assert outcome.session is not None
    return outcome.session


def clean_reason(text: str) -> str:
    cleaned = " ".join(text.split())
    if len(cleaned) < MIN_REASON:
        raise NoRequest(
            "This parent has not asked for a person. To take the conversation over anyway, "
            f"write why (at least {MIN_REASON} characters); it is kept in the plan's audit trail."
        )
    if len(cleaned) > MAX_REASON:
        raise NoRequest(f"Please keep the reason under {MAX_REASON} characters.")
    return cleaned


def _grounds(session: Session, reason: str) -> str:
    """What the claim rests on, for the audit line: the open request, else the reason."""
    request = open_request(session)
    if request is not None:
        return f"request {request}"
    return f"no request; reason: {clean_reason(reason)}"


async def claim(
    dash: Dashboard, member: Member, plan_id: str, now: datetime, reason: str = ""
) -> None:
    """Take the conversation (or keep it longer); the bot goes quiet until hand-back.

    Needs the parent's open request, or a `reason` (NoRequest otherwise)."""
    target = await _target(dash, member, plan_id, now)
    until = now + dash.config.handoff_quiet
    grounds = [_grounds(target.session, reason)]

    def change(session: Session) -> None:
        _claimed_by_other(session, member, now)  # checked again under the lock
        grounds[0] = _grounds(session, reason)  # and the request: handed back meanwhile?
        session.handoff_claim = _claim_for(member, until)

    await _change(dash, target, change)
    what = f"claimed until {until.isoformat(timespec='minutes')}, {grounds[0]}"
    await dash.records.audit(target.contact, audit.entry(member, now, audit.CLAIM, what))


def clean_answer(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise BadAnswer("Please write an answer before sending.")
    if len(cleaned) > MAX_ANSWER:
        raise BadAnswer(f"Please keep the answer under {MAX_ANSWER} characters.")
    return cleaned


async def answer(dash: Dashboard, member: Member, plan_id: str, text: str, now: datetime) -> None:
    """Text the parent, then keep the text in the conversation and extend the claim."""
    body = clean_answer(text)
    target = await _target(dash, member, plan_id, now)
    session = target.session
    if session.status == "opted_out":
        raise CannotText("This parent texted STOP: we cannot text them.")
    _claimed_by_other(session, member, now)
    if active_claim(session, now) is None:
        raise NotClaimed("Claim the conversation first, so the bot stays quiet while you talk.")
    sid = await _send(dash, target.address, body)
    until = now + dash.config.handoff_quiet

    def change(changed: Session) -> None:
        changed.history = [*changed.history, ["out", body, now.isoformat()]][-HISTORY_CAP:]
        current = active_claim(changed, now)
        if current is None or current.member == member.id:
            changed.handoff_claim = _claim_for(member, until)

    await _change(dash, target, change)
    what = f"handoff answer by text, {len(body)} characters"
    await dash.records.audit(target.contact, audit.entry(member, now, audit.ANSWER, what, sid))


async def _send(dash: Dashboard, address: str, body: str) -> str:
    """Through the channel router: a phone by SMS, a web chat into its outbox."""
    try:
        return await dash.sender.send(address, body)
    except StoreError:
        raise SendFailed("The text could not be saved for the web chat. Try again.") from None
    except Exception as exc:  # the SDK raises its own tree; the member only needs to retry
        raise SendFailed(
            f"The text did not go out ({type(exc).__name__}). Nothing was recorded; try again."
        ) from None


async def hand_back(dash: Dashboard, member: Member, plan_id: str, now: datetime) -> None:
    """The bot takes over again; the request leaves the inbox."""
    target = await _target(dash, member, plan_id, now)

    def change(session: Session) -> None:
        _claimed_by_other(session, member, now)
        session.handoff_claim = None
        session.handoff = False
        session.plan.flags.pop("handoff", None)

    await _change(dash, target, change)
    await dash.records.audit(
        target.contact, audit.entry(member, now, audit.HAND_BACK, "the bot answers again")
    )


async def clear_flag(
    dash: Dashboard, member: Member, plan_id: str, flag: str, now: datetime
) -> None:
    """A handled flag leaves the list (a handoff is closed by handing back instead)."""
    if flag not in FLAG_LABELS or flag == "handoff":
        raise NotAllowed("That flag cannot be cleared here.")
    target = await _target(dash, member, plan_id, now)

    def change(session: Session) -> None:
        session.plan.flags.pop(flag, None)

    await _change(dash, target, change)
    await dash.records.audit(
        target.contact, audit.entry(member, now, audit.FLAG_CLEARED, f"flag {flag}")
    )
