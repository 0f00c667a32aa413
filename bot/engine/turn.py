"""One inbound text being handled (`Turn`), what `Engine.step` returns, the engine's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.engine.events import Event
from bot.engine.render import Voice
from bot.engine.session import Session
from bot.engine.today import local_today


@dataclass(frozen=True, slots=True)
class EngineSettings:
    program: str = "Safe Start"
    plan_name: str = "Plan of Safe Care"
    default_timezone: str = "America/New_York"
    welcome_back_after: timedelta = timedelta(days=3)
    # No reminder goes out in these local hours (Settings.quiet_hours): the engine promises
    # only send times outside them (reminder_promise.py).
    quiet_hours: str = "20:00-09:00"


@dataclass(frozen=True, slots=True)
class StepResult:
    session: Session
    replies: list[str]
    events: list[Event]


@dataclass(slots=True)
class Turn:
    """One inbound text being handled: the session copy, what to say, what happened."""

    session: Session
    now: datetime
    voice: Voice
    default_timezone: str
    replies: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # The parent's text asked for a person or for help (TALK, HELP, STOP, crisis words).
    to_person: bool = False
    # What the whole turn is about, both ways, whatever part is open (a relapse: recovery).
    topic: str | None = None
    # The text came by the private web chat, not to the phone: a shared phone's private
    # questions are asked here in full.
    private: bool = False

    def say(self, message: str, **values: Any) -> None:
        self.replies.append(self.voice(message, **values))

    @property
    def today(self) -> date:
        return local_today(self.now, self.session.timezone, self.default_timezone)
