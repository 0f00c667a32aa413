"""Reminder texts: discreet by default, detailed only by choice, translated through Babel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot.engine.texts import N_, Translator

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

DISCREET = (REMINDER_TODAY, REMINDER_TOMORROW, REMINDER_ON, OFFER)
DETAILED = (DETAILED_TODAY, DETAILED_TOMORROW, DETAILED_ON, DETAILED_PLACE, DETAILED_OFFER)
PLACE_MAX = 80
# CLDR uses narrow and no-break spaces; either would force a whole text into UCS-2.
_SMS_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


def short_date(locale: str, day: date) -> str:
    """ "Tue, Mar 14" in the parent's language (a CLDR skeleton, grammatical in es/pt)."""
    return str(format_skeleton("MMMEd", day, locale=locale)).translate(_SMS_SPACES)


def clean_place(place: str | None) -> str | None:
    """One short line: a place typed by a care team must not turn into a long text."""
    if not place:
        return None
    text = " ".join(place.split())[:PLACE_MAX].strip()
    return text or None


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
    values = {
        "time": translator.format_time(locale, local.time().replace(tzinfo=None)),
        "date": short_date(locale, local.date()),
    }
    if detailed:
        template = DETAILED_TODAY if days == 0 else DETAILED_TOMORROW if days == 1 else DETAILED_ON
        values["what"] = translator.gettext(locale, WHAT.get(kind, WHAT["other"]))
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
    what = translator.gettext(locale, WHAT.get(kind, WHAT["other"]))
    return translator.gettext(locale, DETAILED_OFFER).format(what=what)
