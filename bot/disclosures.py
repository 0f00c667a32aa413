"""MY RECORD: the parent's list of who received or read their plan, texted back to them.

The care-team audit log holds every disclosure (webhook deliveries and API or dashboard
reads) and every part the parent stopped for one organization by text (SHARING), or shared
with it again. Part 2 gives the parent the right to that list; this turns the log into a few
short texts in their language: per organization and part, the latest day it was shared, and
the days it was stopped and shared again. A need sent on its own ("need treatment v1") and
an alert to the on-call person (crisis, a request for a person, "can't reach") are lines of
their own, worded so a shared phone learns neither the need nor why a person was told.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime

from bot.engine.discretion import organization_name
from bot.engine.events import RecordRequested
from bot.engine.messages import PART_NUMBER
from bot.engine.render import pack
from bot.engine.session import Session
from bot.engine.texts import N_, Translator
from bot.engine.today import FALLBACK_TIMEZONE, local_today

log = logging.getLogger(__name__)

RECORD_HEADER = N_("Who has seen your plan:")
# Translators: {day} is a date like "Nov 3, 2026"; {who} an organization; {parts} plan parts.
RECORD_ITEM = N_("{day}: {who} - {parts}")
RECORD_NONE = N_(
    "No one has seen your plan yet. Nothing is shared unless you say so. In a crisis, or if "
    "you ask to talk to someone, the on-call person gets your name and number."
)
# Translators: {day} is a date like "Nov 3, 2026"; {who} an organization; {parts} plan parts.
RECORD_STOPPED = N_("{day}: you stopped sharing {parts} with {who}")
# Translators: {day} is a date like "Nov 3, 2026"; {who} an organization; {parts} plan parts.
RECORD_RESUMED = N_("{day}: you shared {parts} with {who} again")
# Translators: {day} is a date like "Nov 3, 2026"; {who} an organization. No need is named.
RECORD_NEEDS = N_("{day}: {who} - what you need help with")
# Translators: {day} is a date like "Nov 3, 2026"; {who} an organization. An alert to the
# team's on-call person (crisis words, a request for a person): it carries name and phone.
RECORD_ALERT = N_("{day}: {who} - your name and phone number, to reach you")

# Audit actions that put plan answers in someone's hands, when they succeeded.
_DISCLOSING = frozenset({"deliver", "read"})
# The audit actions of a part the parent stopped for one organization, or shared with it
# again (routing.STOP_ACTION, routing.RESUME_ACTION).
_STOPPED = "stop"
_RESUMED = "resume"
# What a delivered need or alert says in the log (careteam/delivery/sender.py _what; the
# alert event types of careteam/directory/model.py ON_CALL_EVENTS).
_NEED = re.compile(r"^need \w+ v\d+$")
ALERTS = frozenset({"plan.crisis", "plan.handoff_requested", "plan.cant_reach"})
# What a disclosure line is about: plan parts, needs sent on their own, or an alert.
PARTS, NEEDS, ALERT = "parts", "needs", "alert"


class Disclosure:
    """One organization's latest receipt of some parts of the plan."""

    __slots__ = ("about", "at", "organization", "resumed", "sections", "stopped")

    def __init__(
        self,
        at: datetime,
        organization: str,
        sections: set[str],
        *,
        stopped: bool = False,
        resumed: bool = False,
        about: str = PARTS,
    ) -> None:
        self.at = at
        self.organization = organization
        self.sections = sections
        self.about = about  # PARTS, NEEDS (no part: a need sent alone) or ALERT
        self.stopped = stopped  # the parent stopped these parts for this organization
        self.resumed = resumed  # ... or shared them with it again

    @property
    def texted(self) -> bool:
        """The parent's own stop or new yes, not a disclosure."""
        return self.stopped or self.resumed


def disclosures(
    entries: Iterable[tuple[datetime, str, str, str, str]], section_ids: Sequence[str]
) -> list[Disclosure]:
    """(at, organization, action, what, result) audit rows -> disclosures and the parent's
    stops (`stopped`) and new yeses (`resumed`), newest first.

    A row discloses when it is a delivery or read that succeeded (2xx) and names sections
    the way the log does: "recovery v2", "plan.json: basic_needs v1, health v3"; or a need
    ("need safety v1": a need, not the Safety part) or an alert ("plan.crisis").
    """
    latest: dict[tuple[str, str], Disclosure] = {}
    stops: dict[tuple[str, datetime, str], Disclosure] = {}
    for at, organization, action, what, result in entries:
        if action in (_STOPPED, _RESUMED):
            named = {s for s in section_ids if re.fullmatch(rf"{re.escape(s)}(?: v\d+)?", what)}
            if named:
                stop = stops.setdefault(
                    (organization, at, action),
                    Disclosure(
                        at,
                        organization,
                        set(),
                        stopped=action == _STOPPED,
                        resumed=action != _STOPPED,
                    ),
                )
                stop.sections |= named
            continue
        if action not in _DISCLOSING or not result.startswith("2"):
            continue
        about = NEEDS if _NEED.match(what) else ALERT if what in ALERTS else PARTS
        named = (
            {s for s in section_ids if re.search(rf"(?:^|[:,] ){re.escape(s)} v\d", what)}
            if about == PARTS
            else set()
        )
        if about == PARTS and not named:
            continue
        have = latest.get((organization, about))
        if have is None:
            latest[organization, about] = Disclosure(at, organization, named, about=about)
        else:
            have.at = max(have.at, at)
            have.sections |= named
    return sorted([*latest.values(), *stops.values()], key=lambda d: d.at, reverse=True)


def record_texts(
    found: Sequence[Disclosure],
    session: Session,
    catalogs: Translator,
    titles: Mapping[str, str],
    organizations: Mapping[str, str],
    hidden: Mapping[str, int] | None = None,
    default_timezone: str = FALLBACK_TIMEZONE,
) -> list[str]:
    """The texts the parent gets, in their language and timezone (else the program's).

    `hidden`: the parts whose title names something sensitive, by part number; on a shared
    phone (shared-phone mode) they are named by number only."""
    locale = session.locale
    discreet = session.plan.shared_phone()
    numbered = dict(hidden or {}) if discreet else {}
    numbers = {org: n for n, org in enumerate(organizations, 1)}

    def voice(message: str, **values: object) -> str:
        return catalogs.gettext(locale, message).format(**values)

    def who(org: str) -> str:
        name = organizations.get(org, org)
        return organization_name(voice, name, numbers.get(org, 0), discreet=discreet)

    def title(section: str) -> str:
        if section in numbered:
            return catalogs.gettext(locale, PART_NUMBER).format(number=numbered[section])
        return catalogs.gettext(locale, titles[section])

    if all(item.texted for item in found):
        lines = [catalogs.gettext(locale, RECORD_NONE)]
    else:
        lines = [catalogs.gettext(locale, RECORD_HEADER)]
    for item in found:
        day = local_today(item.at, session.timezone, default_timezone)
        parts = ", ".join(title(s) for s in titles if s in item.sections)
        lines.append(
            catalogs.gettext(locale, _said(item)).format(
                day=catalogs.format_date(locale, day),
                who=who(item.organization),
                parts=parts,
            )
        )
    return list(pack(lines))


def _said(item: Disclosure) -> str:
    if item.about == NEEDS:
        return RECORD_NEEDS
    if item.about == ALERT:
        return RECORD_ALERT
    return RECORD_STOPPED if item.stopped else RECORD_RESUMED if item.resumed else RECORD_ITEM


AuditReader = Callable[[str], Awaitable[Sequence[tuple[datetime, str, str, str, str]]]]
Send = Callable[[str, str], Awaitable[object]]


class RecordTexter:
    """A service hook: on RecordRequested, text the parent their disclosure list."""

    def __init__(
        self,
        *,
        load: Callable[[str], Awaitable[Session | None]],
        contact_of: Callable[[str], str],
        audit: AuditReader,
        send: Send,
        catalogs: Translator,
        titles: Mapping[str, str],
        organizations: Mapping[str, str],
        hidden: Mapping[str, int] | None = None,
        default_timezone: str = FALLBACK_TIMEZONE,
    ) -> None:
        self._load = load
        self._contact_of = contact_of
        self._audit = audit
        self._send = send
        self._catalogs = catalogs
        self._titles = dict(titles)
        self._organizations = dict(organizations)
        self._hidden = dict(hidden or {})
        self._default_timezone = default_timezone

    async def __call__(self, address: str, events: Sequence[object]) -> int:
        """Texts sent (0 when no event asked for the record)."""
        if not any(isinstance(e, RecordRequested) for e in events):
            return 0
        session = await self._load(address)
        if session is None:
            return 0
        rows = await self._audit(self._contact_of(address))
        found = disclosures(rows, list(self._titles))
        texts = record_texts(
            found,
            session,
            self._catalogs,
            self._titles,
            self._organizations,
            self._hidden,
            self._default_timezone,
        )
        for text in texts:
            await self._send(address, text)
        log.info("disclosure list texted", extra={"event": "my_record", "items": len(found)})
        return len(texts)
