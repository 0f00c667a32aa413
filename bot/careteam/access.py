"""The one disclosure rule: what one recipient may see of one plan. Pure.

Every view asks here, so a section is shown or hidden the same way everywhere: the plan API
and FHIR (PlanReader, which the dashboard's plan page and print read through), the plans
list and its search, visits and reminders on the dashboard, and the handoff inbox.

A recipient sees a section when a record of the newest consent permits it for one of its
roles at its organization and has not expired (recipients.permits_for). Recovery (Part 2) needs
its own three yeses, so it is never here without them; the private safety answers need
their own yes on top. A text in the parent's conversation is about a topic (engine/
session.py: a flow id, "" for words to a person, "plan" for lists of answers): the inbox
shows a text only when its topic is a section the recipient may see, or when it is words to
a person said after the parent asked for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.careteam.consent import PART2_SECTION, PRIVATE_SECTION, SHARE_STEPS, ConsentState
from bot.careteam.recipients import allows_private, permits_for
from bot.engine.session import TOPIC_PERSON

# The reminders flow may name treatment or recovery meetings: Part 2 for the inbox, as the
# dashboard's visit list treats treatment visits.
REMINDERS_TOPIC = "reminders"


@dataclass(frozen=True, slots=True)
class Access:
    """What one recipient may see of one plan now."""

    sections: frozenset[str] = frozenset()
    private: frozenset[str] = frozenset()  # sections whose private answers are included

    @property
    def part2(self) -> bool:
        return PART2_SECTION in self.sections

    def __bool__(self) -> bool:
        return bool(self.sections)

    def includes_private(self, section: str) -> bool:
        return section in self.private

    def sees_topic(self, topic: str, *, asked: bool) -> bool:
        """May a text about `topic` be shown? `asked`: said after the parent asked for a
        person (words to a person are shown only then)."""
        if topic == TOPIC_PERSON:
            return asked
        if topic == REMINDERS_TOPIC:
            return self.part2
        if topic == PRIVATE_SECTION:
            # A text in the safety part may be the private answer itself.
            return topic in self.private
        return topic in self.sections


NOTHING_SEEN = Access()


def access_for(
    state: ConsentState, roles: Iterable[str], organization: str, now: datetime
) -> Access:
    wanted = tuple(roles)
    sections = frozenset(s for s in SHARE_STEPS if permits_for(s, state, wanted, organization, now))
    private = frozenset(s for s in sections if allows_private(s, state, wanted, organization, now))
    return Access(sections, private)
