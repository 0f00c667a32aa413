"""One typed Settings object, read once from the environment and `.env` (see DESIGN.md)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
_QUIET = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class Settings(BaseSettings):
    """Built in create_app (never at import); tests pass their own values."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    public_base_url: str = "http://localhost:8000"
    data_encryption_key: SecretStr | None = None
    care_team_file: Path = ROOT / "careteam.yaml"
    default_timezone: str = "America/New_York"
    quiet_hours: str = "20:00-09:00"
    program_name: str = "Safe Start"
    plan_name: str = "Plan of Safe Care"
    locales: tuple[str, ...] = Field(default=("en", "es", "pt_BR"))
    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = ROOT / "var"
    log_level: str = "INFO"

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

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
        return self

    @property
    def twilio_live(self) -> bool:
        """Real Twilio when both credentials are set; otherwise dev mode (dev outbox)."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)
