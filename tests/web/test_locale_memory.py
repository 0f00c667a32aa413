"""The parents' languages the service remembers, so "try again later" (Redis down) is in
theirs: learned from each handled text, in memory only, bounded, keyed by a hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.engine.machine import Engine
from bot.service import LOCALE_CACHE_SIZE, Service
from bot.store.memory import MemoryConversationStore

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_parents_language_is_remembered_from_their_texts(i18n_engine: Engine) -> None:
    service = Service(MemoryConversationStore(), i18n_engine)
    await service.handle_inbound("+18605550101", "hola", "SM1", NOW)
    await service.handle_inbound("+18605550102", "hi", "SM2", NOW)
    assert service.known_locale("+18605550101") == "es"
    assert service.known_locale("+18605550102") == "en"
    # Never seen: a greeting's language, else English.
    assert service.known_locale("+18605550103", "Olá") == "pt_BR"
    assert service.known_locale("+18605550103", "what") == "en"
    # No phone number is kept: the keys are digests.
    assert all(isinstance(key, bytes) and b"860" not in key for key in service._locales)


def test_the_memory_is_bounded_least_recently_seen_first(i18n_engine: Engine) -> None:
    service = Service(MemoryConversationStore(), i18n_engine)
    service.remember_locale("+18605550101", "es")
    for n in range(LOCALE_CACHE_SIZE - 1):
        service.remember_locale(f"web:{n}", "pt_BR")
    service.remember_locale("+18605550101", "es")  # seen again: now the most recent
    service.remember_locale("+18605550199", "es")
    assert len(service._locales) == LOCALE_CACHE_SIZE
    assert service.known_locale("+18605550101") == "es"
    assert service.known_locale("web:0") == "en"  # the oldest went
