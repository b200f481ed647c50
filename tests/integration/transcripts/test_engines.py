"""Engine selection and the WAV reader, without a daemon."""

from __future__ import annotations

import array
import wave
from pathlib import Path

import pytest

from cpaas_daemon.config import ConfigError, load_config
from cpaas_daemon.transcripts import runner
from cpaas_daemon.transcripts.audio import AudioError, read_pcm16
from cpaas_daemon.transcripts.engines import EngineUnavailable, load_engine


def write_wav(path: Path, samples: list[int], rate: int, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(array.array("h", samples).tobytes() if width == 2 else bytes(samples))
    return path


def samples_of(pcm: bytes) -> list[int]:
    values = array.array("h")
    values.frombytes(pcm)
    return values.tolist()


def test_8khz_telephone_audio_is_doubled_sample_by_sample(tmp_path: Path) -> None:
    pcm, seconds = read_pcm16(write_wav(tmp_path / "a.wav", [1, -2, 3, 4], 8000), 16000)
    assert samples_of(pcm) == [1, 1, -2, -2, 3, 3, 4, 4]
    assert seconds == 4 / 8000


def test_other_rates_and_stereo_become_mono_at_the_engine_rate(tmp_path: Path) -> None:
    pcm, _ = read_pcm16(write_wav(tmp_path / "b.wav", list(range(6)), 48000), 16000)
    assert samples_of(pcm) == [0, 3]
    pcm, _ = read_pcm16(write_wav(tmp_path / "c.wav", list(range(441)), 22050), 16000)
    assert len(samples_of(pcm)) == 441 * 16000 // 22050
    stereo = write_wav(tmp_path / "d.wav", [100, 20, 30000, 30000], 16000, channels=2)
    pcm, seconds = read_pcm16(stereo, 16000)
    assert (samples_of(pcm), seconds) == ([120, 32767], 2 / 16000)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable WAV file"),
        (b"RIFF\x10\x00\x00\x00WAVEjunkjunk", "not a readable WAV file"),
    ],
)
def test_what_is_not_a_pcm_wav_is_an_audio_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message):
        read_pcm16(path, 16000)
    eight_bit = write_wav(tmp_path / "e.wav", [128, 129], 8000, width=1)
    with pytest.raises(AudioError, match="8-bit samples"):
        read_pcm16(eight_bit, 16000)
    with pytest.raises(AudioError, match="cannot read the recording"):
        read_pcm16(tmp_path / "missing.wav", 16000)


def test_the_embedded_engine_loads_its_own_model() -> None:
    engine = load_engine("pocketsphinx")
    assert (engine.name, engine.sample_rate) == ("pocketsphinx", 16000)
    assert engine.transcribe(bytes(32000)) == ""  # a second of silence: no words


@pytest.mark.parametrize("name", ["vosk", "faster-whisper"])
def test_model_engines_say_which_model_is_missing(tmp_path: Path, name: str) -> None:
    with pytest.raises(EngineUnavailable, match=rf"^{name} needs transcripts.model_dir"):
        load_engine(name, None)
    with pytest.raises(EngineUnavailable, match=rf"^{name} model directory .* does not exist$"):
        load_engine(name, tmp_path / "absent")


def test_unknown_engine_is_refused_by_the_config_and_the_loader() -> None:
    with pytest.raises(ConfigError, match=r"transcripts\.engine"):
        load_config(None, environ={}, overrides={"transcripts": {"engine": "siri"}})
    with pytest.raises(EngineUnavailable, match="unknown transcription engine 'siri'"):
        load_engine("siri")


def test_runner_prints_one_json_error_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert runner.main(["--engine", "vosk", str(tmp_path / "x.wav")]) == runner.FAILED
    assert capsys.readouterr().out.strip() == (
        '{"error": "vosk needs transcripts.model_dir (a local model)"}'
    )


def test_speech_running_to_the_last_whole_frame_is_not_lost(speech_wav: Path) -> None:
    """pocketsphinx's Segmenter dropped a sentence still open when the audio ended on a
    whole 30 ms frame (a real MixMonitor file of exactly 6.0 s came back empty)."""
    engine = load_engine("pocketsphinx")
    pcm, _ = read_pcm16(speech_wav, engine.sample_rate)
    frame = 960  # 30 ms at 16 kHz, 16-bit
    cut = len(pcm) * 7 // 10 // frame * frame  # mid-sentence, on a frame boundary
    assert engine.transcribe(pcm[:cut]) != ""
