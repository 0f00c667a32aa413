"""Where the encoder's experiment keeps its work (var/, not committed): shared by both venvs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "crisis_encoder"
LOCALES = ("en", "es", "pt_BR")
