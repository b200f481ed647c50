"""The store's one failure a caller may handle: a plain exception of this domain, which
only the API layer turns into an HTTP 503 (``cpaas_daemon/api/errors.py``)."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """The database refused the statement (disk full, locked past the busy timeout, server
    gone): nothing was half-written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def from_driver(cls, exc: BaseException) -> StoreUnavailable:
        """A driver's error (sqlite3, asyncpg) as the 503 the API can render."""
        return cls(f"storage unavailable: {exc}")
