"""The dashboard's handoff inbox at /care/inbox: the conversations waiting for a person, and
claiming one, answering the parent and handing the conversation back to the bot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.dashboard import handoff, inbox
from bot.web import dashboard as web

router = APIRouter(prefix="/care", include_in_schema=False)


@router.get("/inbox")
async def inbox_page(request: Request, viewer: web.ViewerDep) -> Response:
    rows = await inbox.waiting(viewer.dash, viewer.member, viewer.now)
    return web.page(request, "care/inbox.html", {"title": "Inbox", "rows": rows}, viewer=viewer)


async def _conversation_response(
    request: Request,
    viewer: web.Viewer,
    plan_id: str,
    *,
    error: str = "",
    done: str = "",
    draft: str = "",
    status: int = 200,
) -> Response:
    found = await inbox.conversation(viewer.dash, viewer.member, plan_id, viewer.now)
    if found is None:
        return web.not_found(request, viewer)
    context = {
        "title": f"Conversation with {found.about.name}",
        "talk": found,
        "error": error,
        "done": web.DONE.get(done, ""),
        "draft": draft,
        "max_answer": handoff.MAX_ANSWER,
    }
    return web.page(request, "care/conversation.html", context, viewer=viewer, status=status)


@router.get("/inbox/{plan_id}")
async def conversation_page(
    request: Request, viewer: web.ViewerDep, plan_id: str, done: str = ""
) -> Response:
    return await _conversation_response(request, viewer, plan_id, done=done)


async def _act(
    request: Request,
    viewer: web.Viewer,
    plan_id: str,
    csrf: str,
    action: Callable[[], Any],
    done: str,
    draft: str = "",
) -> Response:
    if not viewer.session.csrf_ok(csrf):
        return web.forbidden(request, viewer)
    try:
        await action()
    except handoff.NotAllowed:
        return web.not_found(request, viewer)
    except handoff.HandoffError as exc:
        return await _conversation_response(
            request, viewer, plan_id, error=exc.message, draft=draft, status=409
        )
    return web.see(f"/care/inbox/{plan_id}?done={done}")


@router.post("/inbox/{plan_id}/answer")
async def answer(
    request: Request,
    viewer: web.ViewerDep,
    plan_id: str,
    csrf: web.Csrf = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return await _act(
        request,
        viewer,
        plan_id,
        csrf,
        lambda: handoff.answer(viewer.dash, viewer.member, plan_id, text, viewer.now),
        "sent",
        draft=text,
    )


# Claim and hand back: the same shape of action, each with its note for the page.
@router.post("/inbox/{plan_id}/{step}")
async def claim_or_hand_back(
    request: Request,
    viewer: web.ViewerDep,
    plan_id: str,
    step: Literal["claim", "hand-back"],
    csrf: web.Csrf = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """A claim needs the parent's open request, or a `reason` kept in the audit trail."""
    dash, member, now = viewer.dash, viewer.member, viewer.now

    async def act() -> None:
        if step == "claim":
            await handoff.claim(dash, member, plan_id, now, reason)
        else:
            await handoff.hand_back(dash, member, plan_id, now)

    done = "claimed" if step == "claim" else "handed_back"
    return await _act(request, viewer, plan_id, csrf, act, done, draft=reason)
