"""The dashboard's parts, built once from what the app already runs (app.state), on first use.

Nothing here starts a task: the dashboard reads and writes through the conversation store,
the care-team records and the reminders planner that app.py's lifespan has set up. Set
`app.state.dashboard_config` before the first request to change the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from bot.errors import ConfigError
from bot.reminders.planner import Planner
from bot.reminders.wiring import Reminders
from bot.store.care_access import CareAccess
from bot.store.care_access_redis import RedisCareAccess
from bot.store.crypto import Cipher, cipher_from_settings
from bot.store.dashboard_keys import DashKeys
from bot.store.redis_store import RedisConversationStore


@dataclass(slots=True)
class Dashboard:
    """What the /care routes use; lives on app.state.dashboard."""

    config: DashboardConfig
    directory: Directory
    records: CareRecords
    reader: PlanReader
    store: RedisConversationStore
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
    state: Any  # app.state: the reminders subsystem may stop and start again
    access: CareAccess  # passwords, sessions, sign-in counters, parents' plan links

    @property
    def planner(self) -> Planner | None:
        reminders = getattr(self.state, "reminders", None)
        return reminders.planner if isinstance(reminders, Reminders) else None

    def member(self, member_id: str | None) -> Member | None:
        return self.directory.member_by_id.get(member_id) if member_id else None


def principal_of(member: Member) -> Principal:
    """A signed-in member reads plans with their own roles, as their bearer token would."""
    return Principal("member", member.id, member.organization, frozenset(member.roles))


def dashboard_for(state: Any) -> Dashboard:
    """app.state.dashboard, built from app.state.runtime and app.state.careteam when missing."""
    built = getattr(state, "dashboard", None)
    if isinstance(built, Dashboard):
        return built
    runtime = getattr(state, "runtime", None)
    careteam = getattr(state, "careteam", None)
    if runtime is None or not isinstance(careteam, CareTeam):
        raise ConfigError("the dashboard needs the app's runtime and care-team service")
    config = getattr(state, "dashboard_config", None) or DashboardConfig()
    records = careteam.records
    access = RedisCareAccess(records.redis, DashKeys(records.keys.prefix))
    passwords = PasswordStore(access, PasswordHasher.from_parameters(config.password_hashing))
    sessions = SessionStore(access, config)
    throttle = SignInThrottle(access, config)
    settings = runtime.settings
    dashboard = Dashboard(
        config=config,
        directory=careteam.directory,
        records=records,
        reader=careteam.reader,
        store=careteam.reader.store,
        cipher=cipher_from_settings(settings),
        sender=runtime.sender,
        translator=runtime.service.engine.translator,
        flows=careteam.reader.flows,
        names=careteam.reader.names,
        passwords=passwords,
        sessions=sessions,
        signin=SignIn(careteam.directory, passwords, throttle, sessions),
        secure_cookies=settings.public_base_url.startswith("https:"),
        default_timezone=settings.default_timezone,
        state=state,
        access=access,
    )
    state.dashboard = dashboard
    return dashboard
