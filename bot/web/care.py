"""The care-team dashboard at /care: sign-in, plans, a plan, the handoff inbox, printing.

HTML forms only, no script. Every page needs a signed-in member (else a redirect to the
sign-in page); every POST carries the session's CSRF token; every answer is private
(no-store) and may not be framed. What a member sees is decided in bot/dashboard.

The routes live by page: care_signin.py, care_plans.py, care_inbox.py; what they share
(the signed-in viewer, pages, redirects, the ?done= notes) is in dashboard.py.
"""

from __future__ import annotations

from fastapi import APIRouter

from bot.web import care_inbox, care_plans, care_signin

router = APIRouter()
router.include_router(care_signin.router)
router.include_router(care_plans.router)
router.include_router(care_inbox.router)
