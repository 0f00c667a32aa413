"""Parse a parent's free-text SMS answer (en/es/pt) into a typed value, or raise ParseFailed.

One module per kind of answer; this package is their one public face."""

from __future__ import annotations

from bot.engine.parsing.choices import parse_choice, parse_multi
from bot.engine.parsing.common import Option, ParseFailed, normalize
from bot.engine.parsing.dates import Prefer, parse_date
from bot.engine.parsing.fields import parse_int, parse_phone, parse_text, parse_zip
from bot.engine.parsing.times import parse_time
from bot.engine.parsing.yes_no import parse_yes_no

__all__ = [
    "Option",
    "ParseFailed",
    "Prefer",
    "normalize",
    "parse_choice",
    "parse_date",
    "parse_int",
    "parse_multi",
    "parse_phone",
    "parse_text",
    "parse_time",
    "parse_yes_no",
    "parse_zip",
]
