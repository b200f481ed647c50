"""The seed's speech options (voice, volume, rate, pitch, language_code, tts_engine_type).

Pure validation, no pydantic: the API layer passes the request body to
:func:`tts_options` and gets either a normalised :class:`TtsOptions` or a
:class:`~cpaas_daemon.errors.ValidationFailed` naming the field and its allowed values.
The allowed-value tuples are public so that other dialects and docs share one list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.tts.voices import LANGUAGES, VOICES

VOLUMES = ("silent", "x-soft", "soft", "medium", "loud", "x-loud")
RATES = ("x-slow", "slow", "medium", "fast", "x-fast")
PITCHES = ("x-low", "low", "medium", "high", "x-high")
ENGINE_TYPES = ("standard", "neural")
VOICE_NAMES = tuple(VOICES)
LANGUAGE_CODES = tuple(LANGUAGES)

DEFAULT_VOICE = "Joanna"
DEFAULT_LEVEL = "medium"
DEFAULT_ENGINE_TYPE = "standard"


@dataclass(frozen=True)
class TtsOptions:
    """Validated, canonically spelled options; ``language_code`` is always resolved."""

    voice: str = DEFAULT_VOICE
    volume: str = DEFAULT_LEVEL
    rate: str = DEFAULT_LEVEL
    pitch: str = DEFAULT_LEVEL
    language_code: str = "en-US"
    tts_engine_type: str = DEFAULT_ENGINE_TYPE


def _choice(body: Mapping[str, object], field: str, allowed: Sequence[str], default: str) -> str:
    """Case-insensitive pick from ``allowed``; absent or empty means ``default``.

    Spaces are dropped before matching because the seed's own table prints ``'x- soft'``.
    """
    value = body.get(field)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        wanted = value.replace(" ", "").lower()
        for candidate in allowed:
            if candidate.lower() == wanted:
                return candidate
    raise ValidationFailed(
        f"{field} must be one of: {', '.join(allowed)} (got {value!r})",
        details={"field": field, "allowed": list(allowed)},
    )


def tts_options(body: Mapping[str, object]) -> TtsOptions:
    """Validate the six speech fields of a request body (other keys are ignored).

    When ``language_code`` is absent the voice's own language is used, as Polly does;
    for the default voice (Joanna) that is the seed's documented default, en-US.
    """
    voice = _choice(body, "voice", VOICE_NAMES, DEFAULT_VOICE)
    return TtsOptions(
        voice=voice,
        volume=_choice(body, "volume", VOLUMES, DEFAULT_LEVEL),
        rate=_choice(body, "rate", RATES, DEFAULT_LEVEL),
        pitch=_choice(body, "pitch", PITCHES, DEFAULT_LEVEL),
        language_code=_choice(body, "language_code", LANGUAGE_CODES, VOICES[voice].language_code),
        tts_engine_type=_choice(body, "tts_engine_type", ENGINE_TYPES, DEFAULT_ENGINE_TYPE),
    )
