"""Offline text-to-speech for OTP and campaign prompts (espeak-ng or flite, then sox)."""

from cpaas_daemon.tts.errors import TtsError, TtsFailed, TtsUnavailable
from cpaas_daemon.tts.options import TtsOptions, tts_options
from cpaas_daemon.tts.renderer import TtsRenderer

__all__ = [
    "TtsError",
    "TtsFailed",
    "TtsOptions",
    "TtsRenderer",
    "TtsUnavailable",
    "tts_options",
]
