"""Where stored reminder jobs find their function: every job in Redis names
`bot.reminders.scheduler:fire` (FIRE_REF), so it stays importable here. The scheduler itself
is bot/scheduling/ (one for all timed work)."""

from __future__ import annotations

from bot.scheduling.firing import fire

__all__ = ["fire"]
