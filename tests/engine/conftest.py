"""Fixtures of the crisis readers' tests: the served encoder and the nets without it."""

from __future__ import annotations

import pytest

from bot.engine.crisis_encoder import ENCODER_FILE, CrisisEncoder, load_encoder
from bot.engine.crisis_model import MODEL_FILE, CrisisModel, load_model
from bot.i18n import LOCALES_DIR


@pytest.fixture(scope="session")
def encoder() -> CrisisEncoder:
    """The served encoder file, loaded on its own (not the engines')."""
    return load_encoder(LOCALES_DIR / ENCODER_FILE)


@pytest.fixture(scope="session")
def nets() -> dict[str, CrisisModel]:
    """The nets of every language, reading without the encoder."""
    return load_model(LOCALES_DIR / MODEL_FILE)
