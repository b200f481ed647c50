"""One campaign's loop: wait for its window, then dial its contacts one paced turn at a time.

A turn needs four things, checked in this order every time: the window is still open,
the PBX is connected (otherwise the campaign shows as paused), a concurrency slot is
free (per campaign and daemon-wide), and the pacer says the next call is due. DND
contacts use no turn: nothing is dialled, they only get their DND record.

Each contact is claimed (:meth:`TargetStore.claim_next`) before anything else is done
for it, so two daemons running the same campaign on one store never dial one contact
twice; a claim another node won is simply skipped. With several daemons a turn also
needs this node to still hold the campaign's lease (``owns``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import datetime

import structlog

from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.campaigns.attempts import AttemptPlacer
from cpaas_daemon.campaigns.inflight import InFlight
from cpaas_daemon.campaigns.model import Campaign, StoredStatus, Target
from cpaas_daemon.campaigns.pacing import Pacer
from cpaas_daemon.campaigns.repository import CampaignRepository
from cpaas_daemon.campaigns.targets import ClaimLost, TargetStore
from cpaas_daemon.pbx.pool import PbxPool
from cpaas_daemon.timefmt import parse_iso, utc_now

log = structlog.get_logger(__name__)

MAX_NAP = 1.0  # longest sleep before re-checking the window, PBX and capacity
LOST_NAP = 0.05  # after a claim another node won, before claiming again


def _seconds_until(moment: datetime) -> float:
    return (moment - utc_now()).total_seconds()


class CampaignRun:
    def __init__(
        self,
        campaign: Campaign,
        *,
        campaigns: CampaignRepository,
        targets: TargetStore,
        placer: AttemptPlacer,
        inflight: InFlight,
        ami: PbxPool,
        global_cap: int,
        owns: Callable[[], bool] = lambda: True,
    ) -> None:
        self.campaign = campaign
        self.paused = False
        self._campaigns = campaigns
        self._targets = targets
        self._placer = placer
        self._inflight = inflight
        self._ami = ami
        self._global_cap = global_cap
        self._owns = owns
        self._pacer = Pacer(campaign.calls_per_minute)

    async def run(self) -> None:
        campaign = self.campaign
        bound = log.bind(campaign_id=campaign.campaign_id)
        # Re-read the wall clock each minute (it may be stepped); an Event cannot do that.
        while (wait := _seconds_until(campaign.start_at)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(wait, 60.0))
        if _seconds_until(campaign.end_at) > 0:
            await self._campaigns.set_status(campaign.campaign_id, StoredStatus.RUNNING)
            bound.info("campaign.running")
            if not await self._dial_until_done():
                bound.info("campaign.stopped_elsewhere")  # by another daemon on the store
                return
        await self._campaigns.set_status(campaign.campaign_id, StoredStatus.COMPLETED)
        bound.info("campaign.completed")

    async def _dial_until_done(self) -> bool:
        """Dial until no contact is left (True) or the window closes (True), or until the
        stored campaign is no longer running (False): stopped through another daemon,
        whose claims this node's can no longer make (:meth:`TargetStore.claim_next`)."""
        campaign = self.campaign
        while _seconds_until(campaign.end_at) > 0:
            request_id = new_request_id()
            try:
                target = await self._targets.claim_next(campaign, utc_now(), request_id)
            except ClaimLost as lost:  # another daemon on the same store took it first
                log.info(
                    "campaign.claim_lost",
                    campaign_id=campaign.campaign_id,
                    contact_id=lost.contact_id,
                )
                await asyncio.sleep(LOST_NAP)  # never a busy loop on one contested row
                continue
            if target is None:
                remaining, next_retry = await self._targets.pending(campaign.campaign_id)
                if remaining == 0:
                    return True
                if await self._campaigns.status(campaign.campaign_id) is StoredStatus.STOPPED:
                    return False
                await self._inflight.changed(self._nap(next_retry))
            elif not target.dnd:  # a DND contact was recorded by its claim and uses no turn
                await self._dial(target, request_id)
        return True

    async def _dial(self, target: Target, request_id: str) -> None:
        call = await self._placer.prepare(self.campaign, target, request_id)
        if call is None:
            return
        try:
            turn = await self._turn()
        except asyncio.CancelledError:  # stop_campaign or shutdown while waiting
            await self._placer.withdraw(call)
            raise
        if turn:
            self._placer.launch(call)
        else:
            await self._placer.withdraw(call)

    def _nap(self, next_retry: str | None) -> float:
        limits = [MAX_NAP, _seconds_until(self.campaign.end_at)]
        if next_retry is not None:
            limits.append(_seconds_until(parse_iso(next_retry)))
        return max(0.0, min(limits))

    async def _turn(self) -> bool:
        """Wait until a call may start; False if the window closed meanwhile."""
        campaign = self.campaign
        while (left := _seconds_until(campaign.end_at)) > 0:
            if not self._owns():  # the lease lapsed: the keeper is about to cancel this run
                self.paused = True
                await asyncio.sleep(min(MAX_NAP, left))
                continue
            if not self._ami.connected:
                self.paused = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ami.wait_connected(), min(MAX_NAP, left))
                continue
            self.paused = False
            if (
                self._inflight.count(campaign.campaign_id) >= campaign.max_concurrent_calls
                or self._inflight.count() >= self._global_cap
            ):
                await self._inflight.changed(min(MAX_NAP, left))
                continue
            delay = self._pacer.delay(time.monotonic())
            if delay > 0:
                await asyncio.sleep(min(delay, left))
                continue
            self._pacer.take(time.monotonic())
            return True
        return False
