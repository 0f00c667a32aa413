"""The dashboard's parts, built once by the composition root (app.py's lifespan) from what
it already runs.

Nothing here starts a task: the dashboard reads and writes through the conversation store,
the care-team records and the reminders planner. `create_app(dashboard_config=...)` changes
the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher

from bot.careteam.directory import Directory, Member, Principal
from bot.careteam.payload import Names
from bot.careteam.reader import PlanReader
from bot.careteam.records import CareRecords
from bot.careteam.wiring import CareTeam
from bot.channels.outbound import Sender
from bot.dashboard.config import DashboardConfig
from bot.dashboard.passwords import PasswordStore
from bot.dashboard.sessions import SessionStore
from bot.dashboard.signin import SignIn
from bot.dashboard.throttle import SignInThrottle
from bot.engine.loader import FlowSet
from bot.engine.texts import Translator
from bot.reminders.planner import Planner
from bot.reminders.wiring import Reminders
from bot.settings import Settings
from bot.store.base import ConversationStore
from bot.store.care_access import CareAccess
from bot.store.crypto import Cipher, cipher_from_settings


@dataclass(slots=True)
class Dashboard:
    """What the /care routes use; lives on the app's Runtime (`runtime.dashboard`)."""

    config: DashboardConfig
    directory: Directory
    records: CareRecords
    reader: PlanReader
    store: ConversationStore
    cipher: Cipher
    sender: Sender
    translator: Translator
    flows: FlowSet
    names: Names
    passwords: PasswordStore
    sessions: SessionStore
    signin: SignIn
    secure_cookies: bool
    default_timezone: str
    access: CareAccess  # passwords, sessions, sign-in counters, parents' plan links
    reminders: Reminders | None = None  # None: reminders not running in this process

    @property
    def planner(self) -> Planner | None:
        return self.reminders.planner if self.reminders is not None else None

    def member(self, member_id: str | None) -> Member | None:
        return self.directory.member_by_id.get(member_id) if member_id else None


def principal_of(member: Member) -> Principal:
    """A signed-in member reads plans with their own roles, as their bearer token would."""
    return Principal("member", member.id, member.organization, frozenset(member.roles))


def dashboard_config_from(settings: Settings) -> DashboardConfig:
    """The dashboard's limits as the settings give them (the rest: DashboardConfig's own)."""
    return DashboardConfig(
        idle=timedelta(minutes=settings.dashboard_idle_minutes),
        max_failures=settings.dashboard_max_failures,
        lockout=timedelta(minutes=settings.dashboard_lockout_minutes),
        handoff_quiet=timedelta(minutes=settings.handoff_quiet_minutes),
    )


def build_dashboard(
    config: DashboardConfig,
    settings: Settings,
    careteam: CareTeam,
    reminders: Reminders | None,
    sender: Sender,
    translator: Translator,
    access: CareAccess,
) -> Dashboard:
    """The dashboard's parts, from what the composition root (app.py) already runs."""
    records = careteam.records
    passwords = PasswordStore(access, PasswordHasher.from_parameters(config.password_hashing))
    sessions = SessionStore(access, config)
    throttle = SignInThrottle(access, config)
    return Dashboard(
        config=config,
        directory=careteam.directory,
        records=records,
        reader=careteam.reader,
        store=careteam.reader.store,
        cipher=cipher_from_settings(settings),
        sender=sender,
        translator=translator,
        flows=careteam.reader.flows,
        names=careteam.reader.names,
        passwords=passwords,
        sessions=sessions,
        signin=SignIn(careteam.directory, passwords, throttle, sessions),
        secure_cookies=settings.public_base_url.startswith("https:"),
        default_timezone=settings.default_timezone,
        access=access,
        reminders=reminders,
    )
