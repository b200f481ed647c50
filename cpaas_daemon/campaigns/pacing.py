"""Even pacing at ``calls_per_minute``: call k is due at ``anchor + k * 60 / cpm``.

The grid, not the previous call's actual time, decides when the next call is due, so a
few milliseconds of event-loop latency per call do not add up into a slower rate. But
the grid never makes up for lost time in a burst: when a call goes out more than half an
interval late (the PBX was down, the concurrency cap was full, the loop stalled), the
grid is re-anchored at that call and the next one is a full interval later. So two calls
are never closer than half an interval, and a stall costs calls instead of causing a
flood of them.
"""

from __future__ import annotations


class Pacer:
    """Token-per-interval schedule on a monotonic clock (seconds)."""

    def __init__(self, calls_per_minute: int) -> None:
        if calls_per_minute < 1:
            raise ValueError("calls_per_minute must be at least 1")
        self.interval = 60.0 / calls_per_minute
        self._due: float | None = None  # None: the first call may go at once

    def delay(self, now: float) -> float:
        """Seconds to wait before the next call may start (0 when it is due)."""
        return 0.0 if self._due is None else max(0.0, self._due - now)

    def take(self, now: float) -> None:
        """Record that a call starts at ``now`` and schedule the next slot."""
        if self._due is None or now - self._due > self.interval / 2:
            self._due = now  # first call, or late: re-anchor instead of catching up
        self._due += self.interval
