"""The WhatsApp templates: in every language, discreet, listed for approval with their keys."""

from __future__ import annotations

import json

import pytest

from bot.__main__ import main
from bot.channels.templates import TEMPLATES, Templates
from bot.i18n import Catalogs
from bot.settings import Settings

LOCALES = ("en", "es", "pt_BR")
# Words a shared phone's screen must never show in a template (any language, folded).
INDISCREET = (
    "health", "salud", "saude", "saúde", "baby", "bebe", "bebé", "bebê", "recovery",
    "recuper", "drug", "droga", "substance", "sustancia", "substância", "treatment",
    "tratamiento", "tratamento", "appointment", "cita", "consulta", "doctor", "médico",
    "pregnan", "embaraz", "grávida", "gravidez", "plan", "care", "cuidado",
)  # fmt: skip


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_is_translated_and_discreet(locale: str) -> None:
    """Each template has its own text in each language, one variable, no health words."""
    catalogs = Catalogs(LOCALES)
    templates = Templates({}, catalogs.gettext, "Safe Start")
    for name, msgid in TEMPLATES.items():
        text = templates.for_kind(name, locale).text
        if locale != "en":
            assert catalogs.gettext(locale, msgid) != msgid, (name, locale)
        assert catalogs.gettext(locale, msgid).count("{program}") == 1
        lowered = text.lower().replace("safe start", "")
        assert not [w for w in INDISCREET if w in lowered], (name, locale, text)


def test_a_content_sid_per_language_or_for_all() -> None:
    """`reminder:es` wins for Spanish; `reminder` covers the rest; unknown kinds are messages."""
    sids = {"reminder": "HX" + "a" * 32, "reminder:es": "HX" + "b" * 32}
    templates = Templates(sids, Catalogs(LOCALES).gettext, "Safe Start")
    assert templates.for_kind("reminder", "es").content_sid == sids["reminder:es"]
    assert templates.for_kind("reminder", "pt_BR").content_sid == sids["reminder"]
    other = templates.for_kind("anything", "en")
    assert other.name == "message"
    assert other.content_sid is None
    assert json.loads(other.variables) == {"1": "Safe Start"}


def test_content_sids_are_checked_at_start() -> None:
    """A value that is not a ContentSid is refused when the settings are built."""
    with pytest.raises(ValueError, match="ContentSid"):
        Settings(_env_file=None, whatsapp_content_sids={"reminder": "not-a-sid"})  # type: ignore[call-arg]


def test_the_command_lists_every_template_in_every_language(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bot whatsapp templates --json`: a row per template and language, with
    the {{1}} placeholder WhatsApp expects and the ContentSid set for it."""
    monkeypatch.setenv("WHATSAPP_CONTENT_SIDS", json.dumps({"reminder:en": "HX" + "c" * 32}))
    monkeypatch.chdir("/")  # no .env is read
    assert main(["whatsapp", "templates", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["setting_key"]) for r in rows} == {
        f"{name}:{locale}" for name in TEMPLATES for locale in LOCALES
    }
    assert all("{{1}}" in r["body"] for r in rows)
    [reminder] = [r for r in rows if r["setting_key"] == "reminder:en"]
    assert reminder["content_sid"] == "HX" + "c" * 32
    assert reminder["template_name"] == "safe_start_reminder_en"
