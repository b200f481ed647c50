"""Benchmark: word error rate and speed of each transcription engine on telephone speech.

The corpus is Debian's ``asterisk-core-sounds-en-wav``: prompts a human voice actor
recorded for Asterisk, 8 kHz mono 16-bit like a call recording, with their words in
``core-sounds-en.txt.gz``. Prompts whose text is a sound (``[beep]``) or holds a
number of more than one digit (spoken "five hundred" or "one two three four"?) are left
out; single digits are scored as words ("press 1" = "press one"). ``SAMPLE`` prompts are
drawn with a fixed seed, so every engine and every run hears the same ones.

Each engine is the daemon's own (:mod:`cpaas_daemon.transcripts.engines`), fed through
the same :func:`read_pcm16` the worker uses. Figures per engine: ``wer_pct`` (word
edits over reference words, all prompts pooled), ``sentences_exact_pct``, ``rtf``
(decoding seconds per second of audio, model load excluded; < 1 is faster than real
time), ``load_s``. ``pocketsphinx`` always runs (its model is in its wheel); ``vosk``
and ``faster-whisper`` run when ``CPAAS_BENCH_VOSK_MODEL`` / ``CPAAS_BENCH_WHISPER_MODEL``
name a local model directory, and say why not otherwise.

Without the sounds the benchmark prints ``{"skipped": ...}``: ``apt-get install
asterisk-core-sounds-en-wav`` (``make bench`` does, as root).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpaas_daemon.transcripts.audio import read_pcm16
from cpaas_daemon.transcripts.engines import EngineUnavailable, load_engine

SOUNDS = Path("/usr/share/asterisk/sounds/en")
TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
SAMPLE = int(os.environ.get("CPAAS_BENCH_TRANSCRIPTS_SAMPLE", "100"))
SEED = 11
MODEL_DIRS = {
    "pocketsphinx": None,
    "vosk": "CPAAS_BENCH_VOSK_MODEL",
    "faster-whisper": "CPAAS_BENCH_WHISPER_MODEL",
}
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@dataclass(frozen=True)
class Prompt:
    name: str
    words: list[str]
    path: Path


def normalise(text: str) -> list[str]:
    """Lower case, punctuation out (apostrophes kept), single digits as words."""
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()
    return [DIGITS[int(w)] if w.isdigit() and len(w) == 1 else w.strip("'") for w in words]


def corpus() -> list[Prompt]:
    prompts = []
    with gzip.open(TEXTS, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            name, colon, text = line.partition(":")
            if line.startswith(";") or not colon or "[" in text:
                continue
            path = SOUNDS / f"{name.strip()}.wav"
            words = normalise(text)
            if words and path.is_file() and not any(re.search(r"\d\d|\d[a-z]", w) for w in words):
                prompts.append(Prompt(name.strip(), words, path))
    prompts.sort(key=lambda prompt: prompt.name)
    return random.Random(SEED).sample(prompts, min(SAMPLE, len(prompts)))


def edits(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, deletions, insertions)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        diagonal, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref != hyp))
    return row[-1]


def score(engine_name: str, model_dir: Path | None, prompts: list[Prompt]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        engine = load_engine(engine_name, model_dir)
    except EngineUnavailable as exc:
        return {"skipped": str(exc)}
    load_s = time.perf_counter() - started
    errors = words = exact = 0
    audio_s = decode_s = 0.0
    worst: list[tuple[float, str, str]] = []
    for prompt in prompts:
        pcm, seconds = read_pcm16(prompt.path, engine.sample_rate)
        started = time.perf_counter()
        hypothesis = normalise(engine.transcribe(pcm))
        decode_s += time.perf_counter() - started
        audio_s += seconds
        wrong = edits(prompt.words, hypothesis)
        errors, words, exact = errors + wrong, words + len(prompt.words), exact + (wrong == 0)
        worst.append((wrong / len(prompt.words), prompt.name, " ".join(hypothesis)))
    worst.sort(reverse=True)
    return {
        "wer_pct": round(100 * errors / words, 1),
        "sentences_exact_pct": round(100 * exact / len(prompts), 1),
        "rtf": round(decode_s / audio_s, 3),
        "load_s": round(load_s, 2),
        "audio_s": round(audio_s, 1),
        "example": f"{worst[len(worst) // 2][1]}: {worst[len(worst) // 2][2]!r}",
    }


def run() -> dict[str, Any]:
    if not TEXTS.is_file() or not SOUNDS.is_dir():
        return {
            "skipped": f"no {SOUNDS} or {TEXTS}: apt-get install asterisk-core-sounds-en-wav"
            " (an image that excludes /usr/share/doc from packages lacks the words)"
        }
    prompts = corpus()
    figures: dict[str, Any] = {
        "prompts": len(prompts),
        "reference_words": sum(len(prompt.words) for prompt in prompts),
    }
    for name, variable in MODEL_DIRS.items():
        directory = os.environ.get(variable) if variable else None
        if variable and not directory:
            figures[name] = {"skipped": f"set {variable} to a local model directory"}
            continue
        figures[name] = score(name, Path(directory) if directory else None, prompts)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
    sys.exit(0)
