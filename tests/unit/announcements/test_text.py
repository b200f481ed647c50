"""Digits spoken one by one; campaign placeholders filled from contact fields."""

from __future__ import annotations

import pytest

from cpaas_daemon.announcements.text import render_fields, spoken_digits, strip_control
from cpaas_daemon.errors import ValidationFailed

SEED_TEXT = "Dear, {field1} , {field2}, Your due balance is,, {field3},, INR only"


def test_otp_digits_are_spaced_so_each_is_spoken() -> None:
    assert spoken_digits("1987") == "1 9 8 7"


def test_seed_campaign_text_is_filled_from_contact_fields() -> None:
    fields = {"field1": "Ankit", "field2": "Jayswal", "field3": "500"}
    assert render_fields(SEED_TEXT, fields) == (
        "Dear, Ankit , Jayswal, Your due balance is,, 500,, INR only"
    )


def test_placeholder_without_a_field_is_named_in_the_error() -> None:
    with pytest.raises(ValidationFailed) as caught:
        render_fields("Hi {field1}, {name} owes {field9}", {"field1": "Ankit"})
    assert caught.value.message == (
        "announcement_text has placeholders with no contact field: {field9}, {name}"
    )
    assert caught.value.details["unknown"] == ["field9", "name"]


def test_field_values_lose_control_characters() -> None:
    assert render_fields("Hi {field1}!", {"field1": "\tAnkit\nJayswal\x07"}) == "Hi Ankit Jayswal!"


def test_unused_fields_and_text_without_placeholders_are_fine() -> None:
    assert render_fields("Hello", {"field1": "x"}) == "Hello"


def test_strip_control_keeps_words_apart() -> None:
    assert strip_control("a\r\nb\x00c") == "a  b c"
