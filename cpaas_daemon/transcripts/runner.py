"""One transcription in its own process: ``python -m cpaas_daemon.transcripts.runner``.

The worker starts this per job so a recogniser's CPU time, memory and any crash in its
C code stay out of the daemon's process (the event loop never waits on a decoder, and a
killed or crashed run is just a failed job). It lowers its own priority so call control
keeps the CPU first, and prints one JSON object on stdout:
``{"text", "audio_seconds", "decode_seconds"}`` with exit 0, or ``{"error"}`` with exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from cpaas_daemon.transcripts.audio import AudioError, read_pcm16
from cpaas_daemon.transcripts.engines import EngineUnavailable, load_engine

NICENESS = 10
FAILED = 2


def run(engine_name: str, model_dir: Path | None, recording: Path) -> dict[str, object]:
    """Transcribe one file; raises AudioError or EngineUnavailable with a clear message."""
    engine = load_engine(engine_name, model_dir)
    pcm, seconds = read_pcm16(recording, engine.sample_rate)
    started = time.perf_counter()
    text = engine.transcribe(pcm)
    return {
        "text": " ".join(text.split()),
        "audio_seconds": round(seconds, 3),
        "decode_seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cpaas_daemon.transcripts.runner")
    parser.add_argument("--engine", required=True)
    parser.add_argument("--model-dir", type=Path)
    parser.add_argument("recording", type=Path)
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    try:
        result = run(args.engine, args.model_dir, args.recording)
    except (AudioError, EngineUnavailable) as exc:
        print(json.dumps({"error": str(exc)}))
        return FAILED
    except Exception as exc:  # a recogniser's own error: still one clear JSON line
        print(json.dumps({"error": f"{args.engine} failed: {type(exc).__name__}: {exc}"}))
        return FAILED
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
