"""Attempts that are out and whose outcome is not known yet, shared by every campaign.

It is the concurrency count (per campaign and across all of them) and the wake-up
signal: a campaign waiting for capacity or for its last outcomes sleeps on
:meth:`InFlight.changed` instead of polling the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field


@dataclass
class Flight:
    campaign_id: str
    adopted: bool = False  # opened by an earlier daemon process (found at start-up)
    opened: float = field(default_factory=time.monotonic)
    absent_since: float | None = None  # first sweep that saw no live channel for it


class InFlight:
    def __init__(self) -> None:
        self._flights: dict[str, Flight] = {}
        self._changed = asyncio.Event()

    def add(self, request_id: str, campaign_id: str, adopted: bool = False) -> None:
        self._flights[request_id] = Flight(campaign_id, adopted)

    def get(self, request_id: str) -> Flight | None:
        return self._flights.get(request_id)

    def pop(self, request_id: str) -> None:
        if self._flights.pop(request_id, None) is not None:
            self._changed.set()  # wakes everyone waiting on the current event...
            self._changed = asyncio.Event()  # ...and later waiters get a fresh one

    def count(self, campaign_id: str | None = None) -> int:
        if campaign_id is None:
            return len(self._flights)
        return sum(1 for flight in self._flights.values() if flight.campaign_id == campaign_id)

    def snapshot(self) -> list[tuple[str, Flight]]:
        return list(self._flights.items())

    async def changed(self, within: float) -> None:
        """Return when an attempt finishes, or after ``within`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), max(within, 0.0))
