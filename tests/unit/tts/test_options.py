"""Seed 003 speech options -> validated TtsOptions, or an error naming the field."""

from __future__ import annotations

import pytest

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.tts.options import (
    ENGINE_TYPES,
    PITCHES,
    RATES,
    VOLUMES,
    TtsOptions,
    tts_options,
)


def test_empty_body_gives_the_seed_defaults() -> None:
    assert tts_options({}) == TtsOptions(
        voice="Joanna",
        volume="medium",
        rate="medium",
        pitch="medium",
        language_code="en-US",
        tts_engine_type="standard",
    )


def test_seed_otp_example_is_accepted_and_canonicalised() -> None:
    body = {
        "otp": "1987",
        "voice": "raveena",
        "volume": "soft",
        "rate": "slow",
        "pitch": "medium",
        "language_code": "en-us",
        "tts_engine_type": "Neural",
    }
    options = tts_options(body)
    assert (options.voice, options.language_code, options.tts_engine_type) == (
        "Raveena",
        "en-US",
        "neural",
    )


def test_seed_table_spelling_with_a_space_after_x_is_accepted() -> None:
    options = tts_options({"volume": "x- soft", "rate": "x- fast", "pitch": "x- low"})
    assert (options.volume, options.rate, options.pitch) == ("x-soft", "x-fast", "x-low")


def test_absent_language_follows_the_voice_as_polly_does() -> None:
    assert tts_options({"voice": "Raveena"}).language_code == "en-IN"
    assert tts_options({"voice": "Conchita"}).language_code == "es-ES"
    assert tts_options({"voice": "Matthew", "language_code": "hi-IN"}).language_code == "hi-IN"


@pytest.mark.parametrize(
    ("field", "allowed"),
    [
        ("volume", VOLUMES),
        ("rate", RATES),
        ("pitch", PITCHES),
        ("tts_engine_type", ENGINE_TYPES),
    ],
)
def test_unknown_value_names_the_field_and_every_allowed_value(
    field: str, allowed: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tts_options({field: "deafening"})
    assert caught.value.message.startswith(f"{field} must be one of: ")
    assert all(value in caught.value.message for value in allowed)
    assert caught.value.details == {"field": field, "allowed": list(allowed)}


def test_unknown_voice_and_language_are_rejected() -> None:
    with pytest.raises(ValidationFailed, match=r"^voice must be one of: Joanna, "):
        tts_options({"voice": "HAL9000"})
    with pytest.raises(ValidationFailed, match=r"^language_code must be one of: en-US, "):
        tts_options({"language_code": "xx-XX"})


def test_non_string_value_is_rejected_not_coerced() -> None:
    with pytest.raises(ValidationFailed, match=r"^rate must be one of"):
        tts_options({"rate": 3})
