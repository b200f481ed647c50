"""Text -> cached 8 kHz mono 16-bit WAV that Asterisk's Playback() can play.

The engine writes whatever WAV it likes into a private temp directory inside the cache,
sox converts it (``sox in.wav -r 8000 -c 1 -b 16 out.wav``), and only then is the result
renamed into place: a crash or timeout never leaves a half-written file that a later
cache hit would play. Files are named by a hash of the exact engine command, so the same
text with the same effective options is synthesised once for the life of the cache, and
concurrent requests for it share one in-flight task.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import structlog

from cpaas_daemon.config import TtsConfig
from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.tts.engines import ENGINES, Recipe
from cpaas_daemon.tts.errors import TtsFailed, TtsUnavailable
from cpaas_daemon.tts.options import TtsOptions

log = structlog.get_logger(__name__)

MAX_TEXT_CHARS = 4000
SOX_TO_ASTERISK = ("-r", "8000", "-c", "1", "-b", "16")


def cache_key(recipe: Recipe) -> str:
    """Hash of everything that changes the audio: engine argv, text, sox conversion."""
    stdin = recipe.stdin.decode() if recipe.stdin is not None else None
    material = json.dumps([recipe.argv, stdin, recipe.effects, SOX_TO_ASTERISK])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class TtsRenderer:
    """Renders and caches prompts; one per daemon, closed with :meth:`aclose` at shutdown."""

    def __init__(self, engine: str, cache_dir: Path, *, timeout: float = 10.0) -> None:
        self.engine = engine
        # Asterisk resolves relative Playback paths against its sounds dir, so be absolute.
        self.cache_dir = cache_dir.resolve()
        self._timeout = timeout
        self._inflight: dict[str, asyncio.Task[Path]] = {}
        self._warned_missing = False

    @classmethod
    def from_config(cls, config: TtsConfig) -> TtsRenderer:
        return cls(config.engine, config.cache_dir)

    async def render(self, text: str, options: TtsOptions | None = None) -> Path:
        """Return the prompt's path WITHOUT extension, as ``Playback()`` wants it.

        Raises :class:`TtsUnavailable` (engine off or not installed: fall back to
        SayDigits), :class:`TtsFailed` (timeout, engine error) or ``ValidationFailed``.
        """
        recipe_for = ENGINES.get(self.engine)
        if recipe_for is None:
            raise TtsUnavailable(f"text-to-speech is disabled (tts.engine = {self.engine})")
        text = text.strip()
        if not 1 <= len(text) <= MAX_TEXT_CHARS:
            raise ValidationFailed(f"text to speak must be 1-{MAX_TEXT_CHARS} characters")
        recipe = recipe_for(text, options or TtsOptions())
        key = cache_key(recipe)
        stem = self.cache_dir / key
        if stem.with_suffix(".wav").exists():
            return stem
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._synthesise(recipe, stem), name=f"tts-{key}")
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        # shield: one caller giving up (hang-up, timeout) must not cancel the others' render.
        return await asyncio.shield(task)

    async def aclose(self) -> None:
        """Cancel renders still running (their subprocesses are killed) and wait for them."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, key: str, task: asyncio.Task[Path]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here so an abandoned failure is not logged as lost

    async def _synthesise(self, recipe: Recipe, stem: Path) -> Path:
        started = time.perf_counter()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".render-") as tmp:
            raw, converted = Path(tmp, "engine.wav"), Path(tmp, "8k.wav")
            await self._run((*recipe.argv, str(raw)), recipe.stdin)
            await self._run(("sox", str(raw), *SOX_TO_ASTERISK, str(converted), *recipe.effects))
            os.replace(converted, stem.with_suffix(".wav"))
        log.info(
            "tts.rendered",
            engine=self.engine,
            file=stem.name,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return stem

    async def _run(self, argv: tuple[str, ...], stdin: bytes | None = None) -> None:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise self._missing(argv[0], exc) from exc
        try:
            async with asyncio.timeout(self._timeout):
                _, stderr = await proc.communicate(stdin)
        except TimeoutError as exc:
            raise TtsFailed(f"{argv[0]} did not finish within {self._timeout:g} s") from exc
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        if proc.returncode != 0:
            detail = stderr.decode(errors="replace").strip()[:200]
            raise TtsFailed(f"{argv[0]} exited with status {proc.returncode}: {detail}")

    def _missing(self, binary: str, exc: OSError) -> TtsUnavailable:
        """Warn once: every OTP would otherwise log the same missing package."""
        if not self._warned_missing:
            self._warned_missing = True
            log.warning("tts.unavailable", binary=binary, error=str(exc), fallback="SayDigits")
        return TtsUnavailable(f"{binary} is not installed (apt-get install espeak-ng sox)")
