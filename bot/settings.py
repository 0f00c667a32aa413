"""One typed Settings object, read once from the environment and `.env` (see DESIGN.md)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
_WHATSAPP = re.compile(r"^whatsapp:\+[1-9][0-9]{6,14}$")
_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
_QUIET = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_OVERRIDES = re.compile(r"^[a-z]+=[^&#\s]+(&[a-z]+=[^&#\s]+)*$")


class Settings(BaseSettings):
    """Built in create_app (never at import); tests pass their own values."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # redis://host:port/db for one server; redis+cluster://host:port (any node) for a Redis
    # Cluster, reached through redis-py's cluster client (bot/store/client.py).
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    # The connection overrides on the number's "A message comes in" URL, as written after
    # its "#" (e.g. rc=3&rp=ct,5xx): Twilio retries a webhook answered 5xx only when they
    # say so. The app checks a signature over the URL with and without them, and warns at
    # start-up when they do not retry a 5xx (bot/channels/webhook_retries.py).
    twilio_webhook_overrides: str = ""
    # Unset: http://localhost:PORT, the address the app is really served on (links in texts,
    # the start-up log).
    public_base_url: str = ""
    data_encryption_key: SecretStr | None = None
    care_team_file: Path = ROOT / "careteam.yaml"
    default_timezone: str = "America/New_York"
    quiet_hours: str = "20:00-09:00"
    program_name: str = "Safe Start"
    plan_name: str = "Plan of Safe Care"
    # SMS only (the web chat and WhatsApp keep every accent): spell letters GSM-7 lacks
    # plainly (á -> a, ç -> c), so Spanish and Portuguese texts cost GSM-7 segments, not
    # UCS-2, and a question with its choices fits two segments as it does in English. On by
    # default: with accents, a Spanish question of over 134 characters is 3-4 segments, or
    # split mid-question (README, "Text budgets"). SMS_PLAIN_LETTERS=false keeps accents.
    sms_plain_letters: bool = True
    locales: tuple[str, ...] = Field(default=("en", "es", "pt_BR"))
    host: str = "127.0.0.1"
    port: int = 8000
    # Addresses of the reverse proxies whose X-Forwarded-For / -Proto headers are believed
    # (comma-separated IPs or networks, or "*"). Empty: none, so a client cannot pick the
    # address that sign-in and token limits count it under.
    forwarded_allow_ips: str = ""
    var_dir: Path = ROOT / "var"
    log_level: str = "INFO"
    # An Open Referral HSDS folder (the program's 2-1-1 export). Unset: the fictional sample
    # in dev mode, no offers of local services with live Twilio (see resources_folder).
    resources_dir: Path | None = None
    # WhatsApp (through the same Twilio account and webhook). The sender, e.g.
    # whatsapp:+14155238886 (Twilio's sandbox); unset: whatsapp:<TWILIO_FROM_NUMBER>. With
    # TWILIO_MESSAGING_SERVICE_SID, the service picks its WhatsApp sender itself.
    twilio_whatsapp_from: str | None = None
    # The approved templates' ContentSids (JSON): {"reminder:es": "HX...", "message": "HX..."};
    # `python -m bot whatsapp templates` lists the keys and texts to submit.
    whatsapp_content_sids: dict[str, str] = Field(default_factory=dict)
    # How long a web-chat link texted to a parent (CHAT) may be opened.
    chat_link_hours: int = Field(default=24, ge=1, le=24 * 7)
    # How long a team member who takes over a conversation keeps the bot quiet.
    handoff_quiet_minutes: int = Field(default=240, ge=5, le=7 * 24 * 60)
    # Dashboard sign-in: idle minutes before signing out; failed tries before a lockout.
    dashboard_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    dashboard_max_failures: int = Field(default=5, ge=1, le=100)
    dashboard_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Flood limits (bot/floods.py), per window: messages from one phone or chat; distinct
    # web chats, messages and requests for a person from one web client address.
    flood_window_minutes: int = Field(default=5, ge=1, le=24 * 60)
    flood_texts_per_contact: int = Field(default=60, ge=5, le=10_000)
    flood_chats_per_client: int = Field(default=10, ge=1, le=10_000)
    flood_messages_per_client: int = Field(default=300, ge=10, le=100_000)
    flood_handoffs_per_client: int = Field(default=3, ge=1, le=1_000)
    # On-call is paged once per parent per kind of alert (crisis, handoff) in this window.
    page_once_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # A web chat sharing nothing with a care team is forgotten after this many idle days
    # (the chat cookie's own lifetime).
    webchat_idle_days: int = Field(default=30, ge=1, le=365)
    # Reminder texts per second per sender (a Twilio long code: 1; toll-free and short codes
    # more; Twilio queues, then refuses with 429/20429 beyond), and how many may go back to
    # back before pacing starts.
    reminders_send_rate: float = Field(default=1.0, gt=0, le=1_000)
    reminders_send_burst: float = Field(default=3.0, ge=1, le=1_000)

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _base_url_from_port(self) -> Settings:
        if not self.public_base_url:
            # frozen: set the field the way pydantic itself does
            object.__setattr__(self, "public_base_url", f"http://localhost:{self.port}")
        return self

    @field_validator("twilio_whatsapp_from")
    @classmethod
    def _whatsapp_from_shape(cls, value: str | None) -> str | None:
        if value is not None and not _WHATSAPP.match(value):
            raise ValueError("TWILIO_WHATSAPP_FROM must look like whatsapp:+14155238886")
        return value

    @field_validator("whatsapp_content_sids")
    @classmethod
    def _content_sids_shape(cls, value: dict[str, str]) -> dict[str, str]:
        for key, sid in value.items():
            if not _CONTENT_SID.match(sid):
                raise ValueError(
                    f"WHATSAPP_CONTENT_SIDS[{key!r}] is not a ContentSid (HX + 32 hex)"
                )
        return value

    @field_validator("twilio_webhook_overrides")
    @classmethod
    def _overrides_shape(cls, value: str) -> str:
        value = value.removeprefix("#")
        if value and not _OVERRIDES.match(value):
            raise ValueError("TWILIO_WEBHOOK_OVERRIDES must look like rc=3&rp=ct,5xx")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_shape(cls, value: str) -> str:
        if not _QUIET.match(value):
            raise ValueError("QUIET_HOURS must look like 20:00-09:00")
        return value

    @model_validator(mode="after")
    def _twilio_complete(self) -> Settings:
        if self.twilio_live and not (self.twilio_from_number or self.twilio_messaging_service_sid):
            raise ValueError(
                "with Twilio credentials set, TWILIO_FROM_NUMBER or "
                "TWILIO_MESSAGING_SERVICE_SID is needed"
            )
        if self.twilio_live and self.data_encryption_key is None:
            # Without it, a key would be generated into var/data.key: lost with the disk, or
            # different on each app process, and every parent's answers unreadable.
            raise ValueError(
                "with Twilio credentials set, DATA_ENCRYPTION_KEY is needed (32 random bytes, "
                "urlsafe base64: python -c 'import base64, os; "
                "print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
            )
        return self

    @property
    def resources_folder(self) -> Path | None:
        """Where local services come from: never the fictional sample to real parents."""
        if self.resources_dir is not None:
            return self.resources_dir
        return None if self.twilio_live else ROOT / "resources" / "sample"

    @property
    def whatsapp_sender(self) -> str | None:
        """The From of WhatsApp texts: TWILIO_WHATSAPP_FROM, else the SMS number's."""
        if self.twilio_whatsapp_from:
            return self.twilio_whatsapp_from
        return f"whatsapp:{self.twilio_from_number}" if self.twilio_from_number else None

    @property
    def twilio_live(self) -> bool:
        """Real Twilio when both credentials are set; otherwise dev mode (dev outbox)."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)
