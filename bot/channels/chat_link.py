"""CHAT: a private link, texted on request, that opens the web chat on the parent's own plan.

The link carries a random token; Redis keeps the address it was made for, encrypted, under
the token's keyed hash, for CHAT_LINK_HOURS. Opening it binds a new browser chat to that
address: from then on the browser speaks for the same contact (same session, plan,
consent and STOP), until the binding expires. Asked only by a parent who agreed to texts:
after STOP, CHAT is left to the engine, which stays silent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.engine.keywords import fold
from bot.engine.texts import N_
from bot.service import Service
from bot.store.channel_state import ChannelState

log = logging.getLogger(__name__)

CHAT_WORDS = frozenset({"CHAT", "WEB", "WEB CHAT", "WEBCHAT", "CHATEAR", "CONVERSAR"})
# Translators: {url} is the private link, {hours} a number. Discreet: no health words.
CHAT_LINK_TEXT = N_(
    "Chat with us in your browser: {url} This private link works for {hours} hours. "
    "Please don't share it."
)


def is_chat_word(body: str) -> bool:
    return fold(body.strip()[:20]).upper() in CHAT_WORDS


class ChatLinks:
    """Makes and opens the private web-chat links."""

    def __init__(self, state: ChannelState, service: Service, base_url: str, hours: int) -> None:
        self.state = state
        self._service = service
        self._base_url = base_url.rstrip("/")
        self.ttl = timedelta(hours=hours)

    async def answer(self, address: str, body: str) -> list[str] | None:
        """The link, for CHAT from a parent who agreed to texts; None: not ours to answer."""
        if not is_chat_word(body):
            return None
        session = await self._service.store.load(address)
        if session is None or session.status != "active":
            return None
        token = await self.state.new_chat_link(address, self.ttl)
        url = f"{self._base_url}/chat/open/{token}"
        hours = int(self.ttl.total_seconds() // 3600)
        text = self._service.gettext(session.locale, CHAT_LINK_TEXT)
        log.info("chat link texted", extra={"event": "chat_link"})
        return [text.format(url=url, hours=hours)]

    async def open(self, token: str, chat_address: str) -> bool:
        """Bind the browser chat at `chat_address` to the link's parent; False if the link is
        unknown or expired."""
        address = await self.state.open_chat_link(token)
        if address is None:
            return False
        await self.state.bind_chat(chat_address, address, self.ttl)
        log.info("chat link opened", extra={"event": "chat_link_opened"})
        return True

    async def speaks_for(self, chat_address: str) -> str | None:
        """The parent's address a browser chat was bound to by a link, or None."""
        return await self.state.bound(chat_address)
