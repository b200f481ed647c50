"""Spoken-text helpers shared by OTP templates and campaign announcement text.

Whatever reaches the TTS engine is plain text: placeholders are ``{name}``, control
characters never get through (a newline in a contact field would otherwise become an
odd pause or, worse, a second line that some engines treat as a new utterance).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from cpaas_daemon.errors import ValidationFailed

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def has_control(text: str) -> bool:
    return any(map(_is_control, text))


def strip_control(text: str) -> str:
    """Control characters become spaces (so "a\\nb" stays two words), then trim."""
    return "".join(" " if _is_control(char) else char for char in text).strip()


def placeholders(text: str) -> list[str]:
    """Names inside ``{...}`` in order of appearance, e.g. ``["field1", "field3"]``."""
    return PLACEHOLDER.findall(text)


def spoken_digits(digits: str) -> str:
    """``"1987"`` -> ``"1 9 8 7"`` so the engine says each digit, not "nineteen eighty-seven"."""
    return " ".join(digits)


def render_fields(text: str, fields: Mapping[str, str]) -> str:
    """Fill a campaign's ``announcement_text`` (``{field1}`` ...) from a contact's fields.

    Every placeholder must have a value; the error names the missing ones so the
    operator can fix either the text or the contact list.
    """
    unknown = sorted({name for name in placeholders(text) if name not in fields})
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in unknown)
        raise ValidationFailed(
            f"announcement_text has placeholders with no contact field: {names}",
            details={"field": "announcement_text", "unknown": unknown},
        )
    return PLACEHOLDER.sub(lambda match: strip_control(fields[match.group(1)]), text)
