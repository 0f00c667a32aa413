"""The web chat channel: a browser's chat id <-> the "web:<id>" address the service knows."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.channels.chat_link import ChatLinks
from bot.errors import ChannelError
from bot.service import Service
from bot.store.chat_log import ChatFeed, ChatItem, ChatLog

log = logging.getLogger(__name__)

COOKIE_NAME = "safestart_chat"
# An SMS reply can be 1600 characters at most; the web chat keeps the same limit.
MAX_TEXT = 1600
_CHAT_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ChatInputError(ChannelError):
    """A chat message the service should not see; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ChatReply:
    replies: list[str]
    outbox: list[str] = field(default_factory=list)
    # The parent's text and the replies as kept in the chat's log, with their seq numbers
    # (empty for a resend answered from the dedupe record: they were logged the first time).
    items: list[ChatItem] = field(default_factory=list)


def new_chat_id() -> str:
    return secrets.token_urlsafe(24)


def valid_chat_id(value: str | None) -> str | None:
    """The cookie's chat id when it has the shape we issue, else None (a new chat starts)."""
    return value if value and _CHAT_ID.match(value) else None


def address_for(chat_id: str) -> str:
    return f"web:{chat_id}"


def clean_text(text: object) -> str:
    """The text to hand to the engine, or ChatInputError for empty, oversized or non-text."""
    if not isinstance(text, str):
        raise ChatInputError("text_required", 'Send JSON like {"text": "yes"}.')
    stripped = text.strip()
    if not stripped:
        raise ChatInputError("empty_text", "Please type a message before sending.")
    if len(stripped) > MAX_TEXT:
        raise ChatInputError("text_too_long", f"Please keep messages under {MAX_TEXT} characters.")
    if not encodable(stripped):
        raise ChatInputError(
            "unreadable_text",
            "Some of the characters in that message could not be read. Please type it again.",
        )
    return stripped


def encodable(text: str) -> bool:
    """False for text UTF-8 cannot hold (a lone surrogate half from broken JSON escapes):
    it could not be stored, so it is refused at the door."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class WebChat:
    """Hands chat messages to the service and collects texts waiting in the dev outbox."""

    def __init__(
        self,
        service: Service,
        *,
        show_outbox: bool = True,
        log: ChatLog | None = None,
        feed: ChatFeed | None = None,
        links: ChatLinks | None = None,
    ) -> None:
        self.service = service
        self.links = links  # private links (CHAT): a chat bound to a parent's own plan
        self.show_outbox = show_outbox
        self.log = log
        self.feed = feed

    async def send(
        self,
        chat_id: str,
        text: object,
        now: datetime,
        client_id: str | None = None,
        client: str | None = None,
    ) -> ChatReply:
        """One message from the browser; client_id (if given) makes a resend idempotent;
        `client` is the browser's address, for the per-client flood limits."""
        cleaned = clean_text(text)
        address = chat_address = address_for(chat_id)
        if self.links is not None:
            # A chat opened from a private link speaks for the parent's phone (or WhatsApp).
            address = await self.links.speaks_for(chat_address) or chat_address
        # Dedupe records are per contact already; the chat id (a bearer secret) stays out of
        # the key name.
        message_id = f"web-{client_id}" if client_id and _CLIENT_ID.match(client_id) else None
        outcome = await self.service.handle_inbound(
            address, cleaned, message_id, now, channel="web", client=client or "unknown"
        )
        items: list[ChatItem] = []
        if self.log is not None and not outcome.duplicate:
            said = [("me", cleaned), *(("bot", reply) for reply in outcome.replies)]
            items = await self.log.append(chat_address, said)
        outbox = await self.outbox(chat_id) if self.show_outbox else []
        return ChatReply(list(outcome.replies), outbox, items)

    async def updates(
        self, chat_id: str, after: int, keep_alive_s: float = 15.0
    ) -> AsyncIterator[ChatItem | None]:
        """The chat's items after seq `after`, then each new one as it comes, for as long as
        the caller reads; None every `keep_alive_s` of quiet (a proxy must see bytes)."""
        if self.log is None or self.feed is None:
            return
        address = address_for(chat_id)
        async with self.feed.listening(self.log.contact_of(address)) as news:
            while True:
                news.clear()
                for item in await self.log.since(address, after):
                    after = item.seq
                    yield item
                try:
                    async with asyncio.timeout(keep_alive_s):
                        await news.wait()
                except TimeoutError:
                    yield None

    async def open_link(self, token: str, chat_id: str) -> bool:
        """Bind this browser's chat to the parent a private link was texted to."""
        return self.links is not None and await self.links.open(token, address_for(chat_id))

    async def bound(self, chat_id: str) -> bool:
        """Whether this chat continues a parent's own plan (opened from a private link)."""
        return self.links is not None and (
            await self.links.speaks_for(address_for(chat_id)) is not None
        )

    async def outbox(self, chat_id: str) -> list[str]:
        texts: Sequence[str] = await self.service.store.dev_outbox(address_for(chat_id))
        return list(texts)
