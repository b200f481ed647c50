"""Option -> engine flag tables are complete and espeak-ng really has every mapped voice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cpaas_daemon.tts import engines
from cpaas_daemon.tts.errors import TtsUnavailable
from cpaas_daemon.tts.options import PITCHES, RATES, VOLUMES, TtsOptions
from cpaas_daemon.tts.voices import LANGUAGES, VOICES

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng not installed (make system-deps)"
)


@pytest.mark.parametrize(
    ("table", "levels"),
    [
        (engines.ESPEAK_AMPLITUDE, VOLUMES),
        (engines.SOX_GAIN, VOLUMES),
        (engines.ESPEAK_SPEED, RATES),
        (engines.FLITE_STRETCH, RATES),
        (engines.ESPEAK_PITCH, PITCHES),
        (engines.SOX_PITCH_CENTS, PITCHES),
    ],
)
def test_every_allowed_level_has_an_engine_value(table: dict[str, object], levels: tuple) -> None:
    assert tuple(table) == levels


def test_every_voice_language_is_a_supported_language_code() -> None:
    assert {voice.language_code for voice in VOICES.values()} <= set(LANGUAGES)


def test_espeak_recipe_passes_text_on_stdin_not_argv() -> None:
    options = TtsOptions(voice="Matthew", volume="soft", rate="slow", pitch="high")
    recipe = engines.espeak_recipe("; rm -rf / $(reboot)", options)
    assert recipe.argv == (
        "espeak-ng", "-v", "en-us+m3", "-a", "65", "-s", "135", "-p", "65", "--stdin", "-w",
    )  # fmt: skip
    assert recipe.stdin == b"; rm -rf / $(reboot)"


def test_flite_recipe_maps_gender_and_moves_volume_and_pitch_to_sox() -> None:
    recipe = engines.flite_recipe("hello", TtsOptions(voice="Joanna", volume="loud", pitch="low"))
    assert recipe.argv[:3] == ("flite", "-voice", "slt")
    assert recipe.argv[-3:] == ("-t", "hello", "-o")
    assert recipe.effects == ("vol", "1.25", "pitch", "-200")


def test_flite_refuses_languages_it_cannot_speak() -> None:
    with pytest.raises(TtsUnavailable, match="English only"):
        engines.flite_recipe("namaste", TtsOptions(language_code="hi-IN"))


@needs_espeak
@pytest.mark.parametrize("espeak_voice", sorted(set(LANGUAGES.values())))
def test_espeak_ng_has_every_mapped_language(espeak_voice: str) -> None:
    result = subprocess.run(
        ["espeak-ng", "-q", "-v", f"{espeak_voice}+f3", "1 2 3"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_docs_list_every_voice_and_language_code() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "tts.md").read_text(encoding="utf-8")
    missing = [name for name in (*VOICES, *LANGUAGES) if name not in docs]
    assert not missing
