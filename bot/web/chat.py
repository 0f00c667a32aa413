"""The web chat: the page, and the JSON endpoint its script posts each message to."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from html import escape
from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from bot.channels.webchat import COOKIE_NAME, MAX_TEXT, new_chat_id, valid_chat_id
from bot.engine.texts import N_
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


class ChatItemOut(BaseModel):
    seq: int = Field(description="its place in this chat's conversation, from 1")
    kind: str = Field(description="me (the parent), bot (a reply) or outbox (sent later)")
    text: str


class ChatMessageOut(BaseModel):
    replies: list[str]
    outbox: list[str] = Field(
        default_factory=list,
        description="texts sent to this chat outside its replies (a member's answer, MY PLAN)",
    )
    items: list[ChatItemOut] = Field(
        default_factory=list,
        description="the message and its replies as kept in the conversation (GET /chat/events)",
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
    chat_id = valid_chat_id(cookie)
    own_plan = chat_id is not None and await runtime.chat.bound(chat_id)

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
            "own_plan": own_plan,
        },
    )
    if chat_id is None:
        _remember(response, new_chat_id(), settings.public_base_url.startswith("https:"))
    return response


@router.get(
    "/chat/open/{token}",
    response_class=HTMLResponse,
    responses={303: {"description": "opened: the chat, on the parent's own plan"}},
)
async def open_chat_link(request: Request, token: str, runtime: RuntimeDep) -> Response:
    """A private link texted on CHAT: a new browser chat bound to that parent's plan, then
    the chat page. Unknown or expired: 404 with a page saying how to get a new one."""
    chat_id = new_chat_id()
    if not await runtime.chat.open_link(token, chat_id):
        translator = runtime.service.engine.translator
        lang = page_locale(request.headers.get("accept-language", ""), translator.locales)
        return HTMLResponse(
            _expired_page(translator.gettext(lang, LINK_EXPIRED), lang), status_code=404
        )
    response = RedirectResponse("/chat", status_code=303)
    _remember(response, chat_id, runtime.settings.public_base_url.startswith("https:"))
    return response


# Translators: on the page a private chat link opens once it has expired. CHAT is a keyword.
LINK_EXPIRED = N_("This link has expired or is not valid. Text CHAT to get a new one.")


def _expired_page(message: str, lang: str) -> str:
    return (
        f'<!doctype html><html lang="{escape(lang.replace("_", "-"))}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/chat.css"><title>Chat</title></head>'
        f'<body><main class="chat"><p class="intro" role="alert">{escape(message)}</p></main>'
        "</body></html>"
    )


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
    items = [ChatItemOut(seq=i.seq, kind=i.kind, text=i.text) for i in result.items]
    return ChatMessageOut(replies=result.replies, outbox=result.outbox, items=items)


@router.get(
    "/chat/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        204: {"description": "no chat yet (no chat cookie): nothing to hear"},
    },
)
async def chat_events(
    chat: ChatDep,
    cookie: ChatCookie = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    """The conversation so far (after the event id the browser last saw), then each text as
    it comes: the bot's, and those sent later (a team member's answer, MY PLAN, a reminder).
    Events are named by kind (me, bot, outbox), carry their seq as id and {"text": ...}."""
    chat_id = valid_chat_id(cookie)
    if chat_id is None:
        return Response(status_code=204)
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0

    async def stream() -> AsyncIterator[str]:
        async for item in chat.updates(chat_id, after):
            if item is None:
                yield ": still here\n\n"
            else:
                data = json.dumps({"text": item.text}, ensure_ascii=False)
                yield f"id: {item.seq}\nevent: {item.kind}\ndata: {data}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
    )
