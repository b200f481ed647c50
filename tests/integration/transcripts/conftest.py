"""A real recording to transcribe: the simulator's MixMonitor writes no audio, so the
tests put a spoken WAV where Asterisk would have written the call's recording."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PHRASE = "hello this is a test call about your order"


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PHRASE spoken by espeak-ng, as a telephone recording: 8 kHz mono 16-bit PCM."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to make a spoken recording (make test)")
    directory = tmp_path_factory.mktemp("speech")
    raw, wav = directory / "raw.wav", directory / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(raw), PHRASE], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(wav)], check=True)
    return wav
