"""Read a call recording as the 16-bit mono PCM an engine wants, with no extra library.

Asterisk's MixMonitor writes ``.wav`` as 16-bit linear PCM at the channel's rate (8 kHz
on a telephone trunk). Engines trained on 16 kHz audio get it repeated sample by sample:
on the Asterisk prompts that scored as well as linear interpolation (docs/transcripts.md)
and it is slicing in C, not a Python loop over every sample. Anything that is not a
readable PCM WAV raises :class:`AudioError`, which the worker records as ``failed``.
"""

from __future__ import annotations

import array
import struct
import sys
import wave
from pathlib import Path

PCM16 = 2  # bytes per sample


class AudioError(Exception):
    """The recording cannot be read as PCM WAV; the message says why."""


def read_pcm16(path: Path, rate: int) -> tuple[bytes, float]:
    """(mono 16-bit little-endian PCM at ``rate`` Hz, duration in seconds)."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, source = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, RuntimeError, struct.error) as exc:  # wave's chunk errors
        raise AudioError(f"not a readable WAV file: {exc or type(exc).__name__}") from exc
    except OSError as exc:
        raise AudioError(f"cannot read the recording: {exc.strerror or exc}") from exc
    if width != PCM16:
        raise AudioError(f"unsupported WAV: {8 * width}-bit samples (16-bit PCM expected)")
    if source <= 0 or channels <= 0:
        raise AudioError("unsupported WAV: no sample rate or channels")
    samples = array.array("h")
    samples.frombytes(frames[: len(frames) - len(frames) % (PCM16 * channels)])
    if sys.byteorder == "big":
        samples.byteswap()
    if channels > 1:  # a stereo MixMonitor (D option): sum the sides
        samples = _downmix(samples, channels)
    seconds = len(samples) / source
    return _resample(samples, source, rate).tobytes(), seconds


def _downmix(samples: array.array[int], channels: int) -> array.array[int]:
    sides = [samples[i::channels] for i in range(channels)]
    return array.array(
        "h", (max(-32768, min(32767, sum(frame))) for frame in zip(*sides, strict=False))
    )


def _resample(samples: array.array[int], source: int, target: int) -> array.array[int]:
    """Nearest-sample rate change: exact repetition or decimation for integer ratios."""
    if source == target or not samples:
        return samples
    if target % source == 0:
        factor = target // source
        out = array.array("h", bytes(PCM16 * factor * len(samples)))
        for phase in range(factor):
            out[phase::factor] = samples
        return out
    if source % target == 0:
        return samples[:: source // target]
    count = len(samples) * target // source
    return array.array("h", (samples[i * source // target] for i in range(count)))
