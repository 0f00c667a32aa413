"""Reminder texts: discreet by default, detailed only by choice, translated through Babel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.engine.segments import encoding, segment_count
from bot.engine.texts import N_, Translator
from bot.i18n import short_date

# Translators: a reminder that shows on a lock screen, maybe on a shared phone. Keep it
# discreet: no health, pregnancy, baby, drug, treatment or meeting words, and a neutral word
# for "appointment" (es "cita", pt "compromisso"; not "consulta"). Keep C and R.
REMINDER_TODAY = N_(
    "Reminder: your appointment is today at {time}. Reply C to confirm, R to reschedule."
)
# Translators: discreet (see above). {date} looks like "Tue, Mar 14".
REMINDER_TOMORROW = N_(
    "Reminder: your appointment is tomorrow, {date} at {time}. Reply C to confirm, R to reschedule."
)
# Translators: discreet (see above).
REMINDER_ON = N_(
    "Reminder: your appointment is on {date} at {time}. Reply C to confirm, R to reschedule."
)
# Translators: discreet (see above). Offered from the plan's standard visit schedule.
OFFER = N_(
    "Hi! It may be time to set up your next appointment. When you have a day and time, "
    "reply REMINDER and we'll remind you."
)

# Translators: only for parents who chose detailed reminders. {what} is one of the
# "your ... visit" phrases below.
DETAILED_TODAY = N_("Reminder: {what} is today at {time}. Reply C to confirm, R to reschedule.")
# Translators: detailed reminder (see above).
DETAILED_TOMORROW = N_(
    "Reminder: {what} is tomorrow, {date} at {time}. Reply C to confirm, R to reschedule."
)
# Translators: detailed reminder (see above).
DETAILED_ON = N_("Reminder: {what} is on {date} at {time}. Reply C to confirm, R to reschedule.")
# Translators: detailed reminder, added after it when a place is known.
DETAILED_PLACE = N_("Where: {place}.")
# Translators: detailed offer from the standard visit schedule; {what} as above.
DETAILED_OFFER = N_(
    "Hi! It may be time to set up {what}. When you have a day and time, "
    "reply REMINDER and we'll remind you."
)

# Translators: {what} in detailed reminders; include the possessive so it agrees in gender.
WHAT: Mapping[str, str] = MappingProxyType(
    {
        "prenatal_visit": N_("your prenatal visit"),
        "postpartum_visit": N_("your postpartum visit"),
        "baby_checkup": N_("your baby's check-up"),
        "treatment": N_("your treatment or counseling appointment"),
        "recovery_meeting": N_("your recovery meeting"),
        "medication_pickup": N_("your medication pick-up"),
        "wic": N_("your WIC appointment"),
        "other": N_("your appointment"),
    }
)

# Translators: the answer to REMINDERS, a numbered list of what is coming. {items} is one
# line per appointment ("1. Tue, Mar 14 at 10:30 AM"). Discreet, like the reminders.
LIST = N_("Coming up:\n{items}\nReply a number to cancel one.")
# Translators: one line of that list; {date} looks like "Tue, Mar 14".
LIST_ITEM = N_("{number}. {date} at {time}")
# Translators: one line of that list, for parents who chose detailed reminders; {what} is one
# of the "your ... visit" phrases below.
LIST_ITEM_DETAILED = N_("{number}. {date} at {time}: {what}")
# Translators: the answer to REMINDERS when nothing is planned.
LIST_EMPTY = N_("Nothing is coming up. To add a reminder, reply REMINDER.")
# Translators: after the parent replied a number from that list.
CANCELLED = N_("OK, that one is cancelled.")
# Translators: the parent replied a number that is not on the list.
NOT_FOUND = N_("I could not find number {number}. Reply REMINDERS to see the list.")

DISCREET = (
    REMINDER_TODAY,
    REMINDER_TOMORROW,
    REMINDER_ON,
    OFFER,
    LIST,
    LIST_ITEM,
    LIST_EMPTY,
    CANCELLED,
    NOT_FOUND,
)
DETAILED = (
    DETAILED_TODAY,
    DETAILED_TOMORROW,
    DETAILED_ON,
    DETAILED_PLACE,
    DETAILED_OFFER,
    LIST_ITEM_DETAILED,
)
# The list shows at most this many; fewer when the text would pass its SMS budget.
LIST_MAX = 5
# As the catalog gates: 2 GSM-7 segments, or 4 UCS-2 ones (the same room, see README).
SEGMENT_BUDGET = {"GSM-7": 2, "UCS-2": 4}
PLACE_MAX = 80


def clean_place(place: str | None) -> str | None:
    """One short line: a place typed by a care team must not turn into a long text."""
    if not place:
        return None
    text = " ".join(place.split())[:PLACE_MAX].strip()
    return text or None


def _what(translator: Translator, locale: str, kind: str) -> str:
    return translator.gettext(locale, WHAT.get(kind, WHAT["other"]))


def _when(translator: Translator, locale: str, local: datetime) -> dict[str, str]:
    """{date} and {time} of a local start, in the parent's language."""
    return {
        "date": short_date(locale, local.date()),
        "time": translator.format_time(locale, local.time().replace(tzinfo=None)),
    }


def fits(text: str) -> bool:
    """Within the SMS budget every text of the program keeps."""
    return segment_count(text) <= SEGMENT_BUDGET[encoding(text)]


def render_reminder(
    translator: Translator,
    locale: str,
    *,
    kind: str,
    starts: datetime,
    tz: ZoneInfo,
    now: datetime,
    detailed: bool = False,
    place: str | None = None,
) -> str:
    """The reminder for an appointment starting at `starts`, worded for when it is sent:
    "today", "tomorrow" or "on <date>" by the parent's own calendar."""
    local = starts.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    values = _when(translator, locale, local)
    if detailed:
        template = DETAILED_TODAY if days == 0 else DETAILED_TOMORROW if days == 1 else DETAILED_ON
        values["what"] = _what(translator, locale, kind)
    else:
        template = REMINDER_TODAY if days == 0 else REMINDER_TOMORROW if days == 1 else REMINDER_ON
    text = translator.gettext(locale, template).format(**values)
    where = clean_place(place) if detailed else None
    if where:
        text += " " + translator.gettext(locale, DETAILED_PLACE).format(place=where)
    return text


def render_offer(translator: Translator, locale: str, *, kind: str, detailed: bool = False) -> str:
    """The standard schedule's "time to book" offer."""
    if not detailed:
        return translator.gettext(locale, OFFER)
    return translator.gettext(locale, DETAILED_OFFER).format(what=_what(translator, locale, kind))


def render_list(
    translator: Translator,
    locale: str,
    items: Sequence[tuple[str, datetime]],
    *,
    tz: ZoneInfo,
    detailed: bool = False,
) -> tuple[str, int]:
    """The REMINDERS answer for (kind, start) pairs, soonest first, and how many it numbers:
    at most LIST_MAX, fewer if the text would not fit its SMS budget. Dates are absolute, so
    the same items give the same text (and numbers) whenever it is made."""
    if not items:
        return translator.gettext(locale, LIST_EMPTY), 0
    lines = []
    for number, (kind, starts) in enumerate(items[:LIST_MAX], start=1):
        values = {"number": str(number), **_when(translator, locale, starts.astimezone(tz))}
        if detailed:
            values["what"] = _what(translator, locale, kind)
        lines.append(
            translator.gettext(locale, LIST_ITEM_DETAILED if detailed else LIST_ITEM).format(
                **values
            )
        )
    template = translator.gettext(locale, LIST)
    while True:
        text = template.format(items="\n".join(lines))
        if len(lines) == 1 or fits(text):
            return text, len(lines)
        lines.pop()
