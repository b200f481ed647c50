"""Speech-to-text engines behind one small protocol, chosen by ``transcripts.engine``.

Every engine runs offline: ``pocketsphinx`` loads the US English model its wheel ships;
``vosk`` and ``faster-whisper`` load the model directory the operator configured and
never fetch one (faster-whisper is given a path, so it does not go to a model hub).
Libraries are imported when an engine is built, inside the worker process, so the daemon
itself never loads a recogniser and a missing optional library is a clear job failure.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class EngineUnavailable(Exception):
    """The engine cannot run here (library or model missing); the message says which."""


class Engine(Protocol):
    """Turns 16-bit mono PCM at :attr:`sample_rate` into lower-case words."""

    name: str
    sample_rate: int

    def transcribe(self, pcm: bytes) -> str: ...


def _require(module: str, install: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        raise EngineUnavailable(f"{module} is not installed ({install})") from exc


def _model_dir(engine: str, model_dir: Path | None) -> Path:
    if model_dir is None:
        raise EngineUnavailable(f"{engine} needs transcripts.model_dir (a local model)")
    if not model_dir.is_dir():
        raise EngineUnavailable(f"{engine} model directory {model_dir} does not exist")
    return model_dir


class PocketSphinxEngine:
    """CMU PocketSphinx with the en-us model inside the ``pocketsphinx`` wheel (16 kHz).

    Long recordings are cut at pauses by its voice activity detector (loose mode) and
    each stretch is decoded as one utterance (a whole call as one would drift). Its
    decision window is 1 s instead of 0.3 s: on 100 Asterisk prompts (bench) 74.2 % WER
    against 75.3 % (and 74.8 % for no segmentation at all)."""

    name = "pocketsphinx"
    sample_rate = 16000
    VAD_MODE, VAD_WINDOW = 0, 1.0

    def __init__(self) -> None:
        pocketsphinx = _require("pocketsphinx", "pip install pocketsphinx")
        self._module = pocketsphinx
        self._decoder = pocketsphinx.Decoder(samprate=self.sample_rate, loglevel="FATAL")

    def transcribe(self, pcm: bytes) -> str:
        segmenter = self._module.Segmenter(
            sample_rate=self.sample_rate, vad_mode=self.VAD_MODE, window=self.VAD_WINDOW
        )
        if len(pcm) % segmenter.frame_bytes == 0:
            # Segmenter.segment only flushes the speech still open at the end when the
            # last read is short: a recording of whole frames (MixMonitor writes 20 ms
            # ones; 6.0 s is 200 of its 30 ms frames) would lose its last sentence.
            pcm += bytes(2)
        words = []
        for segment in segmenter.segment(io.BytesIO(pcm)):
            self._decoder.start_utt()
            self._decoder.process_raw(segment.pcm, full_utt=True)
            self._decoder.end_utt()
            hypothesis = self._decoder.hyp()
            if hypothesis is not None and hypothesis.hypstr:
                words.append(hypothesis.hypstr)
        return " ".join(words)


class VoskEngine:
    """Vosk (Kaldi) with a model directory such as ``vosk-model-en-us-0.22``."""

    name = "vosk"
    sample_rate = 16000
    CHUNK = 8000  # bytes fed per call, as Vosk's examples do

    def __init__(self, model_dir: Path | None) -> None:
        directory = _model_dir(self.name, model_dir)
        vosk = _require("vosk", "pip install vosk")
        vosk.SetLogLevel(-1)
        self._vosk = vosk
        self._model = vosk.Model(str(directory))

    def transcribe(self, pcm: bytes) -> str:
        recognizer = self._vosk.KaldiRecognizer(self._model, self.sample_rate)
        words = []
        for start in range(0, len(pcm), self.CHUNK):
            if recognizer.AcceptWaveform(pcm[start : start + self.CHUNK]):
                words.append(json.loads(recognizer.Result()).get("text", ""))
        words.append(json.loads(recognizer.FinalResult()).get("text", ""))
        return " ".join(word for word in words if word)


class FasterWhisperEngine:
    """faster-whisper (CTranslate2) on the CPU with a converted model directory."""

    name = "faster-whisper"
    sample_rate = 16000

    def __init__(self, model_dir: Path | None) -> None:
        directory = _model_dir(self.name, model_dir)
        faster_whisper = _require("faster_whisper", "pip install faster-whisper")
        self._numpy = _require("numpy", "pip install numpy")
        self._model = faster_whisper.WhisperModel(
            str(directory), device="cpu", compute_type="int8", local_files_only=True
        )

    def transcribe(self, pcm: bytes) -> str:
        audio = self._numpy.frombuffer(pcm, dtype=self._numpy.int16).astype("float32") / 32768
        segments, _ = self._model.transcribe(audio, beam_size=5, vad_filter=True)
        return " ".join(segment.text.strip() for segment in segments).strip()


ENGINES: dict[str, Callable[[Path | None], Engine]] = {
    "pocketsphinx": lambda _model_dir: PocketSphinxEngine(),
    "vosk": VoskEngine,
    "faster-whisper": FasterWhisperEngine,
}


def load_engine(name: str, model_dir: Path | None = None) -> Engine:
    """Build the named engine; :class:`EngineUnavailable` if it cannot run here."""
    factory = ENGINES.get(name)
    if factory is None:
        raise EngineUnavailable(f"unknown transcription engine {name!r}")
    try:
        return factory(model_dir)
    except EngineUnavailable:
        raise
    except Exception as exc:  # a library refusing its model: say so, do not crash
        raise EngineUnavailable(f"{name} could not load its model: {exc}") from exc
