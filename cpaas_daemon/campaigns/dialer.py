"""The campaign dialer: one :class:`CampaignRun` task per unfinished campaign, outcomes
from CDR summaries, and a sweep for attempts whose CDR never comes.

Outcomes. ``CdrIngest.on_summary`` reports each request's dial_status; for an attempt
that is ours the contact is done, or (status in retry_on_statuses and attempts left)
pending again after retry_time. Retries are only scheduled while the campaign runs.

Restarts. At start every open attempt is reconciled (docs/campaigns.md): no calls row
means nothing was sent (undone, dialled again); a refused call is NOT_DIALED; a stored
CDR is applied now; anything else is adopted and waits for its CDR like a live one.

Several daemons (docs/scaling.md). A campaign is dialled only by the node holding its
lease ('campaign', id), so its pacing and concurrency are one budget. Each node polls
the unfinished campaigns every third of ``cluster.lease_seconds`` and takes those whose
lease is free or expired, while it works at least one PBX; the node that creates a
campaign takes it at once. Gaining a campaign reconciles ITS open attempts (above) and
launches its run; losing the lease (or the campaign being stopped or finished) cancels
the run. The run also checks the lease before each call it launches.

Lost CDRs. Cdr events sent while the daemon was down or disconnected are gone. Once no
channel of an attempt has been live for ``ORPHAN_GRACE`` seconds and it is older than
the originate timeout plus that grace, the sweep gives it up. An attempt opened by an
earlier process or another node (adopted) waits longer: until the node working its PBX
has had the time to write the CDR of a call that ended unanswered while nobody listened
(``cdr/lost_calls.py``: originate timeout + ``cdr.fallback_after`` after its login, the
login being up to a lease round after this adoption). Given up, the attempt takes the
outcome of the call's CDR if one is stored by then (whichever node wrote it), else
UNKNOWN -- never re-dialled, so a contact who may have answered is never called twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from contextvars import Context
from datetime import timedelta
from typing import Any

import structlog

from cpaas_daemon.calls.model import CallKind, CallState
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.campaigns.attempts import AttemptPlacer
from cpaas_daemon.campaigns.inflight import Flight, InFlight
from cpaas_daemon.campaigns.model import NOT_DIALED, UNKNOWN, Campaign, StatusCode, StoredStatus
from cpaas_daemon.campaigns.repository import CampaignRepository
from cpaas_daemon.campaigns.runner import CampaignRun
from cpaas_daemon.campaigns.targets import OpenAttempt, TargetStore
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.cluster.keeper import LeaseKeeper, Wanted
from cpaas_daemon.cluster.leases import CAMPAIGN, Lease, LeaseRepository
from cpaas_daemon.config import CampaignsConfig, DialConfig
from cpaas_daemon.errors import Conflict
from cpaas_daemon.pbx.pool import PbxPool
from cpaas_daemon.store.retry import until_stored
from cpaas_daemon.tasks import cancel
from cpaas_daemon.timefmt import utc_now

log = structlog.get_logger(__name__)

ORPHAN_GRACE = 5.0
SWEEP_INTERVAL = 1.0
_STORED_CODES = {
    StoredStatus.SCHEDULED: StatusCode.SCHEDULED,
    StoredStatus.RUNNING: StatusCode.RUNNING,
    StoredStatus.COMPLETED: StatusCode.COMPLETED,
    StoredStatus.STOPPED: StatusCode.STOPPED,
}


class CampaignDialer:
    def __init__(
        self,
        *,
        campaigns: CampaignRepository,
        targets: TargetStore,
        placer: AttemptPlacer,
        inflight: InFlight,
        ami: PbxPool,
        tracker: CallTracker,
        cdr: CdrIngest,
        config: CampaignsConfig,
        dial: DialConfig,
        cdr_grace: float,
        leases: LeaseRepository,
        lease_seconds: float,
    ) -> None:
        self._campaigns = campaigns
        self._targets = targets
        self._placer = placer
        self._inflight = inflight
        self._ami = ami
        self._tracker = tracker
        self._config = config
        self._orphan_age = dial.originate_timeout_ms / 1000 + ORPHAN_GRACE
        # An adopted attempt's lost CDR is written originate timeout + cdr_grace after
        # its PBX's login (cdr/lost_calls.py), which may come a lease round (L/3) after
        # this node adopted it: the sweep waits for that, and for ORPHAN_GRACE more.
        self._adopted_age = (
            dial.originate_timeout_ms / 1000 + cdr_grace + lease_seconds / 3 + ORPHAN_GRACE
        )
        self._runs: dict[str, tuple[CampaignRun, asyncio.Task[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unfinished: dict[str, Campaign] = {}
        self._leases = leases
        self._keeper = LeaseKeeper(
            leases,
            CAMPAIGN,
            lease_seconds=lease_seconds,
            want=self._wanted,
            on_gained=self._gained,
            on_lost=self._lost,
        )
        # A taken-over campaign's open attempts are reconciled by the new holder: a row
        # written after that by this node would be a second dial, so the row is fenced.
        placer.fence_with(self._keeper.valid)
        cdr.on_summary(self._on_summary, CallKind.CAMPAIGN)

    # -- life cycle -----------------------------------------------------------------
    async def start(self) -> None:
        """Take the campaigns this node may (all of them when it is the only node),
        reconcile the open attempts of finished campaigns when alone, then poll."""
        alone = await self._leases.live_nodes() == 1
        await self._keeper.start()
        if alone:  # no other node can be waiting for these attempts' CDRs
            for attempt in await self._targets.open_attempts():
                if attempt.campaign_id not in self._keeper.held():
                    await self._reconcile(attempt)
        self._spawn(self._sweep(), "campaign-sweep")

    def owned(self) -> list[str]:
        """The campaigns this node dials (its leases)."""
        return self._keeper.held()

    async def _wanted(self) -> Wanted:
        """Every unfinished campaign; new ones only while this node works a PBX (a node
        with none would hold them paused)."""
        found = await self._campaigns.unfinished()
        self._unfinished = {campaign.campaign_id: campaign for campaign in found}
        held = len(self._keeper.held())
        return Wanted(list(self._unfinished), len(found) if self._ami.owned() else held)

    async def _gained(self, lease: Lease) -> None:
        campaign = self._unfinished[lease.name]
        self.launch(campaign)  # first, so that reconciled outcomes can schedule retries
        for attempt in await self._targets.open_attempts():
            if attempt.campaign_id == lease.name:
                await self._reconcile(attempt)

    async def _lost(self, campaign_id: str) -> None:
        """Stop dialling (another node has it, or it is stopped/finished); calls already
        placed finish here and are recorded."""
        entry = self._runs.pop(campaign_id, None)
        if entry is not None:
            await cancel(entry[1])

    async def adopt(self, campaign: Campaign) -> None:
        """A campaign just created here: dial it from this node if it works a PBX (else a
        node that does takes it at its next round)."""
        self._unfinished[campaign.campaign_id] = campaign
        if self._ami.owned():
            await self._keeper.claim(campaign.campaign_id)

    async def stop(self) -> None:
        """Cancel every run and pending outcome (the database already holds the truth),
        release the campaigns' leases, and let Originates already on their way finish
        being sent and recorded."""
        await self._keeper.stop()
        tasks = [task for _, task in self._runs.values()] + list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._runs.clear()
        await self._placer.drain()

    def launch(self, campaign: Campaign) -> None:
        run = CampaignRun(
            campaign,
            campaigns=self._campaigns,
            targets=self._targets,
            placer=self._placer,
            inflight=self._inflight,
            ami=self._ami,
            global_cap=self._config.max_concurrent_calls,
            owns=lambda: self._keeper.valid(campaign.campaign_id) is not None,
        )
        # A fresh context: the run must not log under the HTTP request that created it.
        task = asyncio.create_task(
            self._guarded(run), name=f"campaign-{campaign.campaign_id}", context=Context()
        )
        self._runs[campaign.campaign_id] = (run, task)

    async def _guarded(self, run: CampaignRun) -> None:
        campaign_id = run.campaign.campaign_id
        try:  # the store is the run's truth: after an outage it resumes from it
            await until_stored(run.run, "campaign.run", campaign_id=campaign_id)
        except Exception:
            log.exception("campaign.run_failed", campaign_id=run.campaign.campaign_id)
        finally:
            self._runs.pop(run.campaign.campaign_id, None)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- API ------------------------------------------------------------------------
    async def stop_campaign(self, account_id: str, campaign_id: str) -> None:
        """Stop dialing; calls already ringing finish and are recorded, but not retried."""
        campaign = await self._campaigns.get(account_id, campaign_id)
        if campaign.status is StoredStatus.COMPLETED:
            raise Conflict(f"campaign {campaign_id} already completed")
        await self._campaigns.set_status(campaign_id, StoredStatus.STOPPED)
        entry = self._runs.pop(campaign_id, None)
        if entry is not None:
            entry[1].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await entry[1]
        log.info("campaign.stopped", campaign_id=campaign_id)

    def status_code(self, campaign: Campaign) -> StatusCode:
        entry = self._runs.get(campaign.campaign_id)
        if campaign.status is StoredStatus.RUNNING and entry is not None and entry[0].paused:
            return StatusCode.PAUSED
        return _STORED_CODES[campaign.status]

    # -- outcomes -------------------------------------------------------------------
    def _on_summary(self, request_id: str, dial_status: str) -> None:
        if self._inflight.get(request_id) is not None:
            self._spawn(self._apply(request_id, dial_status), f"campaign-outcome-{request_id}")

    async def _apply(self, request_id: str, outcome: str) -> None:
        """Write the attempt's outcome, waiting for the store if it is down: dropped, the
        contact would stay claimed (or end UNKNOWN by the sweep) though its CDR came."""
        await until_stored(
            lambda: self._finish(request_id, outcome), "campaign.outcome", request_id=request_id
        )
        self._inflight.pop(request_id)
        self._tracker.forget(request_id)

    async def _finish(self, request_id: str, outcome: str) -> None:
        attempt = await self._targets.attempt_of(request_id)
        retry_at = None
        if attempt is not None and outcome not in (UNKNOWN, NOT_DIALED):
            entry = self._runs.get(attempt.campaign_id)
            campaign = entry[0].campaign if entry is not None else None
            if (
                campaign is not None
                and outcome in campaign.retry_on_statuses
                and attempt.attempt < campaign.max_attempts
            ):
                retry_at = utc_now() + timedelta(seconds=campaign.retry_time)
        if attempt is not None:
            await self._targets.finish_attempt(request_id, outcome, retry_at)

    async def _reconcile(self, attempt: OpenAttempt) -> None:
        rid = attempt.request_id
        if attempt.call_state is None:
            await self._targets.not_sent(rid)
        elif attempt.call_state == CallState.REFUSED:
            await self._targets.finish_attempt(rid, NOT_DIALED, None)
        else:
            self._inflight.add(rid, attempt.campaign_id, adopted=True)
            if attempt.dial_status is not None:
                await self._apply(rid, attempt.dial_status)
            else:
                info = RequestInfo(rid, attempt.account_id, CallKind.CAMPAIGN)
                self._tracker.register(info)
        log.info("campaign.reconciled", request_id=rid, call_state=attempt.call_state)

    # -- lost CDRs ------------------------------------------------------------------
    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now, live = time.monotonic(), self._tracker.live_requests()
            for request_id, flight in self._inflight.snapshot():
                if self._orphaned(flight, request_id in live, now):
                    await self._give_up(request_id)

    async def _give_up(self, request_id: str) -> None:
        """The attempt's outcome is its call's CDR if one is stored by now (another node
        may have written it: the PBX's new owner, cdr/lost_calls.py), else UNKNOWN."""
        attempt = await self._targets.attempt_of(request_id)
        outcome = attempt.dial_status if attempt is not None else None
        if outcome is None:
            log.warning("campaign.cdr_missing", request_id=request_id)
        await self._apply(request_id, outcome or UNKNOWN)

    def _orphaned(self, flight: Flight, live: bool, now: float) -> bool:
        if not self._ami.connected or live:
            flight.absent_since = None
            return False
        if flight.absent_since is None:
            flight.absent_since = now
        age = self._adopted_age if flight.adopted else self._orphan_age
        old_enough = now - flight.opened >= age
        return old_enough and now - flight.absent_since >= ORPHAN_GRACE
