"""The web chat: the page, and the JSON endpoint its script posts each message to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from bot.channels.webchat import COOKIE_NAME, MAX_TEXT, new_chat_id, valid_chat_id
from bot.web.deps import ChatDep, NowDep, RuntimeDep

router = APIRouter(tags=["web chat"])

COOKIE_MAX_AGE = 60 * 60 * 24 * 30
ChatCookie = Annotated[str | None, Cookie(alias=COOKIE_NAME)]


class ChatMessageIn(BaseModel):
    # Checked by WebChat (its own 422 codes), so typed loosely here but described as a string.
    text: object = Field(
        description=f"what the parent typed, 1 to {MAX_TEXT} characters",
        json_schema_extra={"type": "string", "minLength": 1, "pattern": r"\S"},
    )
    id: str | None = Field(default=None, description="client message id; a resend is answered once")


class ChatMessageOut(BaseModel):
    replies: list[str]
    outbox: list[str] = Field(
        default_factory=list,
        description="texts sent to this chat outside its replies (a member's answer, MY PLAN)",
    )


def _remember(response: Response, chat_id: str, secure: bool) -> None:
    response.set_cookie(
        COOKIE_NAME,
        chat_id,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def page_locale(accept_language: str, locales: Sequence[str]) -> str:
    """The shipped locale the browser prefers most (Accept-Language), English otherwise."""
    by_name = {loc.lower(): loc for loc in locales}
    by_language = {loc.split("_")[0].lower(): loc for loc in reversed(locales)}
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().replace("-", "_").lower()
        found = by_name.get(tag) or by_language.get(tag.split("_")[0])
        if found:
            return found
    return "en"


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(request: Request, runtime: RuntimeDep, cookie: ChatCookie = None) -> Response:
    settings = runtime.settings
    translator = runtime.service.engine.translator
    lang = page_locale(request.headers.get("accept-language", ""), translator.locales)

    def gettext(message: str, **values: object) -> str:
        text = translator.gettext(lang, message)
        return text % values if values else text

    response = runtime.templates.TemplateResponse(
        request,
        "chat.html",
        {
            "_": gettext,
            "lang": lang.replace("_", "-"),
            "program": settings.program_name,
            "plan": translator.gettext(lang, settings.plan_name),
            "max_text": MAX_TEXT,
            "dev_mode": not settings.twilio_live,
        },
    )
    if valid_chat_id(cookie) is None:
        _remember(response, new_chat_id(), settings.public_base_url.startswith("https:"))
    return response


@router.post("/chat/messages")
async def post_message(
    request: Request,
    message: ChatMessageIn,
    response: Response,
    chat: ChatDep,
    runtime: RuntimeDep,
    now: NowDep,
    cookie: ChatCookie = None,
) -> ChatMessageOut:
    """One message from the page; replies (and texts waiting in the chat's outbox) come back
    as JSON."""
    chat_id = valid_chat_id(cookie)
    if chat_id is None:
        chat_id = new_chat_id()
        _remember(response, chat_id, runtime.settings.public_base_url.startswith("https:"))
    client = request.client.host if request.client else None
    result = await chat.send(chat_id, message.text, now, message.id, client)
    return ChatMessageOut(replies=result.replies, outbox=result.outbox)
