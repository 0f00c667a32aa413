"""REMINDERS (the numbered list) and "cancel number n", texted back ahead of reminders.

The engine only emits RemindersListRequested and ReminderCancelRequested(n); the answer goes
out here, through the dispatcher's rate limiter with reply priority. A number is resolved
against the list as it would be made at that moment: the same order (soonest first, then by
id) and the same cut (LIST_MAX, or fewer when the text would pass its SMS budget).
"""

from __future__ import annotations

import logging

from bot.channels.outbound import Sender
from bot.engine.texts import Translator
from bot.reminders.planner import Planner, Upcoming
from bot.reminders.prefs import Profile, profile
from bot.reminders.reach import Reach
from bot.reminders.texts import CANCELLED, NOT_FOUND, render_list

log = logging.getLogger(__name__)


class ListReplies:
    """Answers the parent's REMINDERS and cancel-by-number; outcomes are logged with ids."""

    def __init__(
        self, planner: Planner, sender: Sender, translator: Translator, reach: Reach
    ) -> None:
        self.planner = planner
        self.sender = sender
        self._translator = translator
        self._reach = reach

    async def send_list(self, contact: str, message_id: str) -> str:
        """Text the numbered list (or "nothing is coming up"); returns the outcome."""
        found = await self._parent(contact)
        if found is None:
            return "gone"
        address, prof = found
        text, _ = await self._numbered(contact, prof)
        return await self._send(address, text, message_id, "listed")

    async def cancel(self, contact: str, number: int, message_id: str) -> str:
        """Cancel number `number` of the list and say so, or say it is not on the list."""
        found = await self._parent(contact)
        if found is None:
            return "gone"
        address, prof = found
        _, shown = await self._numbered(contact, prof)
        if 1 <= number <= len(shown):
            await self.planner.cancel(contact, shown[number - 1].appointment.id)
            text, outcome = self._translator.gettext(prof.locale, CANCELLED), "cancelled"
        else:
            template = self._translator.gettext(prof.locale, NOT_FOUND)
            text, outcome = template.format(number=number), "not_found"
        return await self._send(address, text, message_id, outcome)

    async def _parent(self, contact: str) -> tuple[str, Profile] | None:
        """Address and profile of a parent who may be texted (not STOP'd, not erased)."""
        address = await self.planner.conversations.address_of(contact)
        session = await self.planner.conversations.load(address) if address else None
        if address is None or session is None or session.status != "active":
            return None
        return address, profile(session, self.planner.default_timezone)

    async def _numbered(self, contact: str, prof: Profile) -> tuple[str, list[Upcoming]]:
        upcoming = await self.planner.upcoming(contact, prof)
        text, shown = render_list(
            self._translator,
            prof.locale,
            [(u.appointment.kind, u.starts) for u in upcoming],
            tz=prof.tz,
            detailed=prof.detailed,
        )
        return text, upcoming[:shown]

    async def _send(self, address: str, text: str, message_id: str, outcome: str) -> str:
        try:
            await self.sender.send(address, text)
        except Exception:
            log.warning("reminders reply failed", extra={"entry": message_id}, exc_info=True)
            await self._reach.failed(address, message_id, self.planner.clock())
            return "failed"
        return outcome
