"""The store's one failure a caller may handle: a plain exception of this domain, which
only the API layer turns into an HTTP 503 (``cpaas_daemon/api/errors.py``)."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """SQLite refused the write (disk full, locked past the busy timeout): nothing was
    half-written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
