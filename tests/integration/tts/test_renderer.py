"""Rendering with the real engines: Asterisk-ready WAV, cached, rendered once, fails cleanly."""

from __future__ import annotations

import asyncio
import shutil
import sys
import wave
from pathlib import Path

import pytest
from structlog.testing import CapturingLogger

from cpaas_daemon.config import load_config
from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.tts import renderer as renderer_module
from cpaas_daemon.tts.engines import ENGINES, Recipe
from cpaas_daemon.tts.errors import TtsFailed, TtsUnavailable
from cpaas_daemon.tts.options import TtsOptions
from cpaas_daemon.tts.renderer import TtsRenderer

OTP_TEXT = "Your one time password is 1 9 8 7"

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox not installed (make system-deps installs them)",
)


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the programs the renderer starts, in order."""
    launched: list[str] = []
    real = asyncio.create_subprocess_exec

    async def counting(program: str, *args: str, **kwargs: object) -> asyncio.subprocess.Process:
        launched.append(Path(program).name)
        return await real(program, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "create_subprocess_exec", counting)
    return launched


@pytest.fixture
def espeak(tmp_path: Path) -> TtsRenderer:
    return TtsRenderer("espeak-ng", tmp_path / "tts")


def _files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def _assert_asterisk_wav(stem: Path) -> None:
    with wave.open(str(stem.with_suffix(".wav")), "rb") as wav:
        assert wav.getframerate() == 8000
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getnframes() / wav.getframerate() > 0.5


@needs_espeak
async def test_render_returns_extensionless_path_to_8khz_mono_16bit_wav(
    espeak: TtsRenderer,
) -> None:
    stem = await espeak.render(OTP_TEXT, TtsOptions(voice="Raveena", rate="slow"))
    assert stem.suffix == ""
    assert stem.is_absolute()
    assert stem.parent == espeak.cache_dir
    _assert_asterisk_wav(stem)
    assert _files(espeak.cache_dir) == [f"{stem.name}.wav"]


@needs_espeak
async def test_cache_hit_does_not_run_the_engine_again(
    espeak: TtsRenderer, launches: list[str]
) -> None:
    first = await espeak.render(OTP_TEXT)
    second = await espeak.render(OTP_TEXT)
    assert first == second
    assert launches == ["espeak-ng", "sox"]


@needs_espeak
async def test_concurrent_requests_for_the_same_text_render_once(
    espeak: TtsRenderer, launches: list[str]
) -> None:
    stems = await asyncio.gather(*(espeak.render(OTP_TEXT) for _ in range(10)))
    assert len(set(stems)) == 1
    assert launches == ["espeak-ng", "sox"]


@needs_espeak
async def test_one_caller_giving_up_does_not_cancel_the_shared_render(
    espeak: TtsRenderer,
) -> None:
    impatient = asyncio.create_task(espeak.render(OTP_TEXT))
    patient = asyncio.create_task(espeak.render(OTP_TEXT))
    await asyncio.sleep(0)
    impatient.cancel()
    _assert_asterisk_wav(await patient)


@needs_espeak
async def test_options_that_change_the_sound_get_their_own_file(espeak: TtsRenderer) -> None:
    standard = await espeak.render(OTP_TEXT)
    neural = await espeak.render(OTP_TEXT, TtsOptions(tts_engine_type="neural"))
    louder = await espeak.render(OTP_TEXT, TtsOptions(volume="loud"))
    assert standard == neural  # same offline engine either way: same audio, one file
    assert louder != standard


@pytest.mark.skipif(
    shutil.which("flite") is None or shutil.which("sox") is None,
    reason="flite is optional (tts.engine = flite); apt-get install flite sox",
)
async def test_flite_renders_asterisk_ready_audio_with_sox_effects(tmp_path: Path) -> None:
    flite = TtsRenderer("flite", tmp_path)
    _assert_asterisk_wav(await flite.render(OTP_TEXT, TtsOptions(volume="soft", pitch="high")))


async def test_missing_engine_raises_tts_unavailable_and_warns_once(
    espeak: TtsRenderer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    captured = CapturingLogger()
    monkeypatch.setattr(renderer_module, "log", captured)
    for _ in range(3):
        with pytest.raises(TtsUnavailable, match="espeak-ng is not installed"):
            await espeak.render(OTP_TEXT)
    assert [call.args for call in captured.calls] == [("tts.unavailable",)]
    assert not _files(espeak.cache_dir)


async def test_engine_none_means_tts_unavailable(tmp_path: Path) -> None:
    with pytest.raises(TtsUnavailable, match="disabled"):
        await TtsRenderer("none", tmp_path).render(OTP_TEXT)


async def test_empty_text_is_a_validation_error(espeak: TtsRenderer) -> None:
    with pytest.raises(ValidationFailed, match="1-4000 characters"):
        await espeak.render("  ")


def _fake_engine(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """Swap espeak-ng for a Python one-liner (the output path arrives as its argv[1])."""
    recipe = Recipe(argv=(sys.executable, "-c", code))
    monkeypatch.setitem(ENGINES, "espeak-ng", lambda _text, _options: recipe)


async def test_hung_engine_is_killed_at_the_timeout_and_nothing_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_engine(monkeypatch, "import time; time.sleep(30)")
    renderer = TtsRenderer("espeak-ng", tmp_path, timeout=0.2)
    with pytest.raises(TtsFailed, match=r"did not finish within 0\.2 s"):
        await renderer.render(OTP_TEXT)
    assert not _files(tmp_path)


async def test_engine_error_carries_its_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_engine(monkeypatch, "import sys; sys.exit('voice not found')")
    with pytest.raises(TtsFailed, match="exited with status 1: voice not found"):
        await TtsRenderer("espeak-ng", tmp_path).render(OTP_TEXT)


async def test_aclose_cancels_inflight_renders_and_leaves_no_partial_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_engine(monkeypatch, "import time; time.sleep(30)")
    renderer = TtsRenderer("espeak-ng", tmp_path)
    caller = asyncio.create_task(renderer.render(OTP_TEXT))
    await asyncio.sleep(0.1)
    await renderer.aclose()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert not _files(tmp_path)


def test_renderer_from_config_uses_the_configured_engine_and_cache(tmp_path: Path) -> None:
    config = load_config(environ={}, overrides={"tts": {"engine": "flite", "cache_dir": tmp_path}})
    renderer = TtsRenderer.from_config(config.tts)
    assert (renderer.engine, renderer.cache_dir) == ("flite", tmp_path.resolve())
