"""Template text rules and OTP rendering."""

from __future__ import annotations

import re

import pytest

from cpaas_daemon.announcements.templates import (
    TEMPLATE_ID,
    AnnounceTemplate,
    new_template_id,
    render,
    validate_template_text,
)
from cpaas_daemon.errors import ValidationFailed


def _template(text: str) -> AnnounceTemplate:
    return AnnounceTemplate("AN2222314c96", "acme", text, "2024-01-01T00:00:00.000Z")


def test_otp_is_rendered_digit_by_digit() -> None:
    assert render(_template("Your one time password is {otp}"), "1987") == (
        "Your one time password is 1 9 8 7"
    )


@pytest.mark.parametrize("otp", ["", "12a4", "1 2", "1234567890123", "١٢٣"])
def test_otp_must_be_1_to_12_ascii_digits(otp: str) -> None:
    with pytest.raises(ValidationFailed, match="otp must be 1-12 digits"):
        render(_template("Code {otp}"), otp)


def test_template_ids_look_like_the_seed() -> None:
    assert TEMPLATE_ID.fullmatch("AN2222314c96")
    assert all(TEMPLATE_ID.fullmatch(new_template_id()) for _ in range(100))


def test_valid_text_is_trimmed() -> None:
    assert validate_template_text("  Your code is {otp}  ") == "Your code is {otp}"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("", "must be 1-500 characters"),
        ("{otp}" + "x" * 496, "must be 1-500 characters"),
        ("Your code is", "must contain {otp} exactly once"),
        ("{otp} again {otp}", "must contain {otp} exactly once"),
        ("Your code\nis {otp}", "must not contain control characters"),
        ("Hi {name}, code {otp}", "may only use {otp}, not {name}"),
    ],
)
def test_invalid_text_names_the_rule_it_breaks(text: str, rule: str) -> None:
    with pytest.raises(ValidationFailed, match="^announcement text " + re.escape(rule)) as caught:
        validate_template_text(text)
    assert caught.value.details == {"field": "text"}
