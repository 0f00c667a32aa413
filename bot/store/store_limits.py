"""The conversation store's timings and caps."""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """Timings and caps; the defaults suit Twilio, which waits 15 s for a webhook."""

    # A step takes milliseconds; a holder that died (or a Redis that hung after granting the
    # lock) should not keep a parent waiting long.
    lock_ttl_ms: int = 3_000
    lock_wait_s: float = 10.0
    # A waiter renews its place in the contact's queue on every poll (at most every 50 ms);
    # one silent this long (its process died) loses its place to those behind it.
    queue_beat_ms: int = 1_000
    reply_ttl_s: int = 7 * DAY_S
    # Replies of this many recent messages per contact are kept for dedupe: Twilio retries
    # a message within seconds, and a contact texts one message at a time.
    seen_cap: int = 4
    deliveries_ttl_s: int = 30 * DAY_S
    outbox_maxlen: int = 1_000_000
    dev_outbox_cap: int = 200
    # Backstop over the client's own socket timeouts, for clients built elsewhere.
    call_timeout_s: float = 2.0
    # After a commit went unanswered: how long to keep asking whether it ran.
    settle_wait_s: float = 2.0
    # A released lock ("done:<token>") stays this long; 0: until the contact's next text,
    # so a process can tell that nobody wrote since its own last write (session_cache.py).
    done_lock_ttl_ms: int = 0
    # This process's last write per contact, for one-round-trip texts: how many contacts,
    # for how long.
    session_cache_size: int = 4096
    session_cache_s: float = 600.0
