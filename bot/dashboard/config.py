"""The dashboard's knobs, with defaults; app.py builds one from Settings (see wiring.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import Parameters, profiles


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """Timings and limits of sign-in, sessions, handoffs and the plans list."""

    # A signed-in session ends after this long without a request, and after `session_max`
    # whatever happens (a shared ward computer left signed in).
    idle: timedelta = timedelta(minutes=30)
    session_max: timedelta = timedelta(hours=12)
    # A session made only to carry the sign-in form's CSRF token.
    anonymous_ttl: timedelta = timedelta(minutes=30)
    # This many wrong passwords for one member id from one address within `failure_window`
    # lock that id from that address for `lockout`; a correct password does not open it
    # there. Other addresses are not locked out (see throttle.py).
    max_failures: int = 5
    # Past this many wrong passwords for one id from all addresses together (in the window),
    # each address gets one wrong try for it before its lockout.
    member_failures: int = 20
    # How long an operator's unlock lets the right password through a lockout.
    unlock: timedelta = timedelta(minutes=30)
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    # Sign-in attempts from one address per `attempt_window`, whichever member ids they try.
    attempts_per_address: int = 30
    attempt_window: timedelta = timedelta(minutes=15)
    # How long the bot stays quiet after a member claims or answers a handoff, unless the
    # member hands the conversation back sooner.
    handoff_quiet: timedelta = timedelta(hours=4)
    page_size: int = 50
    # Sessions and consents are read in batches of this many contacts (one round trip each).
    batch: int = 500
    min_password_length: int = 12
    # argon2id's costs for new hashes (argon2-cffi's default, RFC 9106's low-memory profile);
    # a stored hash with other costs still verifies and is rehashed at its next sign-in.
    password_hashing: Parameters = field(default_factory=lambda: profiles.RFC_9106_LOW_MEMORY)
