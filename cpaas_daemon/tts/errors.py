"""Why speech could not be produced, so callers can fall back to ``SayDigits``.

These are :class:`~cpaas_daemon.errors.Unavailable` (503 in the API) because a campaign that
needs dynamic speech cannot proceed without it; the OTP path catches :class:`TtsError`
and plays the digits instead.
"""

from __future__ import annotations

from cpaas_daemon.errors import Unavailable


class TtsError(Unavailable):
    """Speech synthesis failed; nothing was cached."""

    error_id = "tts_failed"


class TtsUnavailable(TtsError):
    """The configured engine (or sox) is not installed, disabled, or cannot speak the language."""

    error_id = "tts_unavailable"


class TtsFailed(TtsError):
    """The engine or sox ran but timed out or exited non-zero."""
