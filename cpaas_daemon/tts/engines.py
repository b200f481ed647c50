"""How each offline engine is told to speak: argv, stdin and the sox effects to add.

A :class:`Recipe` is data, not a process, so the renderer can hash it for the cache
(two option sets that produce the same command share one file, e.g. ``standard`` and
``neural``) and tests can check the mapping without running anything. Text is never
placed in a shell: espeak-ng reads it from stdin, flite gets it as one argv element.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cpaas_daemon.tts.errors import TtsUnavailable
from cpaas_daemon.tts.options import TtsOptions
from cpaas_daemon.tts.voices import LANGUAGES, VOICES


@dataclass(frozen=True)
class Recipe:
    """``argv`` + the output WAV path runs the engine; ``effects`` go after sox's output."""

    argv: tuple[str, ...]
    stdin: bytes | None = None
    effects: tuple[str, ...] = ()


# espeak-ng: -a amplitude 0-200 (100 default; above ~150 it clips), -s words per minute
# (175 default; telephone listeners copying a code want it a little slower), -p 0-99.
ESPEAK_AMPLITUDE: Mapping[str, int] = {
    "silent": 0,
    "x-soft": 35,
    "soft": 65,
    "medium": 100,
    "loud": 125,
    "x-loud": 150,
}
ESPEAK_SPEED: Mapping[str, int] = {
    "x-slow": 110,
    "slow": 135,
    "medium": 160,
    "fast": 190,
    "x-fast": 225,
}
ESPEAK_PITCH: Mapping[str, int] = {"x-low": 20, "low": 35, "medium": 50, "high": 65, "x-high": 80}


def espeak_recipe(text: str, options: TtsOptions) -> Recipe:
    voice = f"{LANGUAGES[options.language_code]}+{VOICES[options.voice].variant}"
    return Recipe(
        argv=(
            "espeak-ng",
            "-v",
            voice,
            "-a",
            str(ESPEAK_AMPLITUDE[options.volume]),
            "-s",
            str(ESPEAK_SPEED[options.rate]),
            "-p",
            str(ESPEAK_PITCH[options.pitch]),
            "--stdin",
            "-w",
        ),
        stdin=text.encode(),
    )


# flite has no amplitude or pitch flag that works across its voices, so sox applies
# those (``vol`` gain factor, ``pitch`` in cents); speed is flite's duration_stretch.
FLITE_VOICE: Mapping[str, str] = {"female": "slt", "male": "rms"}
FLITE_STRETCH: Mapping[str, str] = {
    "x-slow": "1.45",
    "slow": "1.2",
    "medium": "1.1",
    "fast": "0.9",
    "x-fast": "0.75",
}
SOX_GAIN: Mapping[str, str] = {
    "silent": "0",
    "x-soft": "0.35",
    "soft": "0.65",
    "medium": "1",
    "loud": "1.25",
    "x-loud": "1.5",
}
SOX_PITCH_CENTS: Mapping[str, str] = {
    "x-low": "-400",
    "low": "-200",
    "medium": "0",
    "high": "200",
    "x-high": "400",
}


def flite_recipe(text: str, options: TtsOptions) -> Recipe:
    if not options.language_code.startswith("en-"):
        raise TtsUnavailable(f"flite speaks English only, not {options.language_code}")
    effects: tuple[str, ...] = ()
    if options.volume != "medium":
        effects += ("vol", SOX_GAIN[options.volume])
    if options.pitch != "medium":
        effects += ("pitch", SOX_PITCH_CENTS[options.pitch])
    return Recipe(
        argv=(
            "flite",
            "-voice",
            FLITE_VOICE[VOICES[options.voice].gender],
            "--setf",
            f"duration_stretch={FLITE_STRETCH[options.rate]}",
            "-t",
            text,
            "-o",
        ),
        effects=effects,
    )


ENGINES: Mapping[str, Callable[[str, TtsOptions], Recipe]] = {
    "espeak-ng": espeak_recipe,
    "flite": flite_recipe,
}
