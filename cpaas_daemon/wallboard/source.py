"""Reads every source of a :class:`Board`: AMI queue state, today's queue figures, the
call tracker and the campaigns tables. One that is down blanks its own panel only."""

from __future__ import annotations

import time

from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.queue_log.filters import Scope
from cpaas_daemon.queue_log.service import QueueStats
from cpaas_daemon.wallboard.board import Board, queue_tiles
from cpaas_daemon.wallboard.campaigns import CampaignProgress

# Calls on the PBX that no request of ours explains (a DID without an account, a call
# placed by another system): still load on the call centre, so still counted.
OTHER = "other"

EVERY_QUEUE = Scope()


def live_call_counts(tracker: CallTracker) -> dict[str, int]:
    """Calls (not legs) up now, by kind, including :data:`OTHER`."""
    known = tracker.live_calls()
    unknown = {ch.linkedid for ch in tracker.live_channels() if tracker.request_of(ch) is None}
    return {**{kind.value: known[kind] for kind in CallKind}, OTHER: len(unknown)}


class BoardSource:
    def __init__(
        self, stats: QueueStats, tracker: CallTracker, campaigns: CampaignProgress
    ) -> None:
        self._stats = stats
        self._tracker = tracker
        self._campaigns = campaigns

    async def build(self) -> Board:
        """The whole board, for every queue (streams narrow it per user)."""
        try:
            queues = queue_tiles(await self._stats.realtime.snapshot(EVERY_QUEUE))
        except (AmiUnavailable, AmiRefused):
            queues = None
        return Board(
            at=time.time(),
            queues=queues,
            live_calls=live_call_counts(self._tracker),
            channels=sum(1 for _ in self._tracker.live_channels()),
            campaigns=tuple(await self._campaigns.current()),
        )
