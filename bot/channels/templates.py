"""WhatsApp message templates: what goes out when a chat's 24-hour window is shut.

Outside the window WhatsApp accepts only a template approved in advance, sent by Twilio as
`ContentSid` + `ContentVariables` (a template text in `Body` fails with error 63016). Ours
say only that something is waiting: the real text is held and comes as soon as the parent
answers (which opens the window). They stay discreet on a shared phone: no health, baby,
recovery or substance words. Each template is one catalog text per language; `python -m bot
whatsapp templates` prints them for submission, and WHATSAPP_CONTENT_SIDS maps each
`<name>:<locale>` (or `<name>`, every language) to the ContentSid Twilio gave it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.engine.texts import N_

# Translators: a WhatsApp template, approved by Meta before use. {program} becomes its only
# variable. Discreet: no health words; the parent reads the real text after replying.
MESSAGE = N_("{program}: you have a new message. Reply to this message to read it.")
# Translators: a WhatsApp template for reminders (see above). Never name the appointment.
REMINDER = N_("{program}: you have a new reminder. Reply to this message to read it.")

TEMPLATES: Mapping[str, str] = {"message": MESSAGE, "reminder": REMINDER}
KINDS = tuple(TEMPLATES)


@dataclass(frozen=True, slots=True)
class Template:
    """One template in one language, as it is sent."""

    name: str
    locale: str
    text: str  # the catalog text, {program} filled in: what the dev outbox shows
    content_sid: str | None
    variables: str  # ContentVariables: JSON, {"1": program}


def submission_name(name: str, locale: str) -> str:
    """The name to give the template in Twilio's Content Template Builder."""
    return f"safe_start_{name}_{locale.lower()}"


class Templates:
    """Each kind of text -> its template in the parent's language, with its ContentSid."""

    def __init__(
        self,
        content_sids: Mapping[str, str],
        gettext: Callable[[str, str], str],
        program: str,
    ) -> None:
        self._sids = dict(content_sids)
        self._gettext = gettext
        self._program = program

    def for_kind(self, kind: str, locale: str) -> Template:
        name = kind if kind in TEMPLATES else "message"
        sid = self._sids.get(f"{name}:{locale}") or self._sids.get(name)
        text = self._gettext(locale, TEMPLATES[name]).format(program=self._program)
        variables = json.dumps({"1": self._program}, ensure_ascii=False)
        return Template(name, locale, text, sid, variables)

    def listing(self, locales: Sequence[str]) -> list[dict[str, str]]:
        """Every template in every language, as submitted for approval."""
        rows = []
        for name, msgid in TEMPLATES.items():
            for locale in locales:
                body = self._gettext(locale, msgid).replace("{program}", "{{1}}")
                sid = self._sids.get(f"{name}:{locale}") or self._sids.get(name) or ""
                rows.append(
                    {
                        "setting_key": f"{name}:{locale}",
                        "template_name": submission_name(name, locale),
                        "language": locale,  # WhatsApp's codes: en, es, pt_BR
                        "category": "UTILITY",
                        "body": body,
                        "sample_1": self._program,
                        "content_sid": sid,
                    }
                )
        return rows


def print_templates(as_json: bool = False) -> int:
    """`python -m bot whatsapp templates`: what to submit for approval, and the setting."""
    from bot.i18n import Catalogs
    from bot.settings import Settings

    settings = Settings()
    locales = list(settings.locales)
    catalogs = Catalogs(locales)
    rows = Templates(settings.whatsapp_content_sids, catalogs.gettext, settings.program_name)
    listing = rows.listing(locales)
    if as_json:
        print(json.dumps(listing, ensure_ascii=False, indent=2))
        return 0
    print(
        "WhatsApp templates to submit in Twilio's Content Template Builder (type: text,\n"
        "category: Utility). Then set WHATSAPP_CONTENT_SIDS to a JSON object mapping each\n"
        'setting key to its ContentSid, e.g. {"reminder:en": "HX...", "message:es": "HX..."}.\n'
    )
    missing = 0
    for row in listing:
        sid = row["content_sid"] or "(not set)"
        missing += not row["content_sid"]
        print(f"{row['setting_key']:<16} name {row['template_name']}, language {row['language']}")
        print(f"    body: {row['body']}")
        print(f"    {{{{1}}}} sample: {row['sample_1']}    ContentSid: {sid}\n")
    if missing:
        print(f"{missing} template(s) without a ContentSid: outside the 24-hour window those")
        print("texts cannot go by WhatsApp (SMS only where the parent said SMS OK).")
    return 0
