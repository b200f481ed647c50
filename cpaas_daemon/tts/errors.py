"""Why speech could not be produced, so callers can fall back to ``SayDigits``.

These subclass :class:`~cpaas_daemon.errors.ApiError` (503) because a campaign that
needs dynamic speech cannot proceed without it; the OTP path catches :class:`TtsError`
and plays the digits instead.
"""

from __future__ import annotations

from cpaas_daemon.errors import ApiError


class TtsError(ApiError):
    """Speech synthesis failed; nothing was cached."""

    status = 503
    error_id = "tts_failed"


class TtsUnavailable(TtsError):
    """The configured engine (or sox) is not installed, disabled, or cannot speak the language."""

    error_id = "tts_unavailable"


class TtsFailed(TtsError):
    """The engine or sox ran but timed out or exited non-zero."""
