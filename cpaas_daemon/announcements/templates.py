"""OTP announce templates: ``announce_template_id`` (seed 003) -> "Your code is {otp}".

An account registers the sentence once; each OTP call names it and supplies only the
digits, which are spaced out so the engine reads them one by one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from cpaas_daemon.announcements.text import has_control, placeholders, spoken_digits
from cpaas_daemon.errors import ValidationFailed

OTP_PLACEHOLDER = "{otp}"
MAX_TEMPLATE_CHARS = 500
TEMPLATE_ID = re.compile(r"AN[0-9a-f]{10}")
# Digits only: the SayDigits fallback and the dialplan variable must carry the same value.
OTP = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class AnnounceTemplate:
    template_id: str
    account_id: str
    text: str
    created_at: str


def new_template_id() -> str:
    """Return ``AN`` + 10 lowercase hex digits, the shape of the seed's ``AN2222314c96``."""
    return "AN" + secrets.token_hex(5)


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(f"announcement text {message}", details={"field": "text"})


def validate_template_text(text: str) -> str:
    """Return the trimmed text, or raise naming the rule it breaks."""
    text = text.strip()
    if not 1 <= len(text) <= MAX_TEMPLATE_CHARS:
        raise _invalid(f"must be 1-{MAX_TEMPLATE_CHARS} characters (got {len(text)})")
    if has_control(text):
        raise _invalid("must not contain control characters (newlines, tabs, ...)")
    if text.count(OTP_PLACEHOLDER) != 1:
        raise _invalid(f"must contain {OTP_PLACEHOLDER} exactly once")
    others = [f"{{{name}}}" for name in placeholders(text) if name != "otp"]
    if others:
        raise _invalid(f"may only use {OTP_PLACEHOLDER}, not {', '.join(others)}")
    return text


def validate_otp(otp: str) -> str:
    if not OTP.fullmatch(otp):
        raise ValidationFailed("otp must be 1-12 digits", details={"field": "otp"})
    return otp


def render(template: AnnounceTemplate, otp: str) -> str:
    """The sentence to synthesise: ``"Your code is {otp}"`` + 1987 -> "Your code is 1 9 8 7"."""
    return template.text.replace(OTP_PLACEHOLDER, spoken_digits(validate_otp(otp)))
