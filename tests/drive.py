"""Answer whatever the engine asks, by the current step's type: drives whole plans in tests."""

from __future__ import annotations

from datetime import date, timedelta

from bot.engine.machine import Engine
from bot.engine.model import Step
from bot.engine.session import Session

YES = {"en": "yes", "es": "sí", "pt_BR": "sim"}
NO = {"en": "no", "es": "no", "pt_BR": "não"}
NAME = {"en": "Sam", "es": "Ana", "pt_BR": "Bia"}


def answer_for(step: Step, today: date, locale: str = "en") -> str:
    """A valid answer to this step, as a parent would type it (first choice, dates in range)."""
    if step.type in ("choice", "multi"):
        return "1"
    if step.type == "yes_no":
        return YES.get(locale, "yes")
    if step.type == "date":
        past = step.latest == "today"
        day = today - timedelta(days=2) if past else today + timedelta(days=30)
        if locale == "en":
            return f"{day.month}/{day.day}/{day.year}"
        return f"{day.day}/{day.month}/{day.year}"  # day first outside the US
    if step.type == "time":
        return "10am"
    if step.type == "phone":
        return "860-555-0123"
    if step.type == "zip":
        return "06103"
    if step.type == "number":
        return str(step.minimum or 0)
    return "Dr. Lee"


def next_text(engine: Engine, session: Session, today: date) -> str | None:
    """What to send next to finish every section; None when the whole plan is done."""
    locale = session.locale
    if session.status == "new":
        return "hi"
    if session.mode == "ask" and session.flow and session.step:
        if session.flow == engine.flows.onboarding.id and session.step == "name":
            return NAME.get(locale, "Sam")
        if session.flow == engine.flows.onboarding.id and session.step == "shared_phone":
            return NO.get(locale, "no")  # the parent's own phone: texts show the answers
        return answer_for(engine.flows[session.flow].step(session.step), today, locale)
    if session.mode in ("readback", "offer"):
        return YES.get(locale, "yes")
    if session.mode == "private":
        return "here"  # a shared phone's private questions: answered by text after all
    if all(session.plan.is_done(f.id) for f in engine.flows.sections):
        return None
    return "menu" if session.mode != "menu" else "1"
