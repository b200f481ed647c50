"""The CDR of a call whose end nobody heard: placed, then its node died (or its AMI link
dropped), and it ended unanswered while no node was logged in to its PBX.

Asterisk writes no CDR for an unanswered call by default (``cdr.conf`` ``unanswered =
no``), and the AMI events that said how it ended (OriginateResponse, DialEnd, Hangup)
went to a node that is gone: without this, its ``calls`` row would wait for a CDR
forever (not counted in statistics, "cdr not found" for ever).

At every login to a PBX (a takeover, a restart, a reconnect) the calls placed on it
without a CDR are noted, before the PBX is healthy (so no call this node places after
the login is among them). ``dial.originate_timeout_ms`` + ``cdr.fallback_after`` later
(no Originate sent before the login can still be ringing), each one still without a CDR
is written ONE CDR, disposition ``NO ANSWER``, when it is unanswered for sure:

* no channel of it is live on the PBX, and AMI has not reported its end since: those
  have their CDR from AMI (a real one, or :mod:`cpaas_daemon.cdr.ami_outcome`'s);
* the PBX's Master.csv is configured, and was read to its end just now: Asterisk writes
  every answered call there whatever ``cdr.conf`` says, so no record means not answered;
* the PBX has been up since the call was placed (its FullyBooted ``Uptime``, with
  ``CLOCK_SKEW`` to spare): a PBX that restarted may have cut an answered call without
  writing its record.

Otherwise the call might have been answered: it gets no invented CDR (it is logged
``cdr.lost_call_unknown``), and a campaign never redials it (its attempt ends
``UNKNOWN``). ``NO ANSWER`` is what Asterisk itself writes for an unanswered CDR whose
end it knows nothing more of (``AST_CDR_NULL``); the times it cannot know stay empty
(answer, end), its start is the moment the row was written, just before the Originate.

The CDR is stored through the ingest like any other (the call completes, ``call.completed``
fires, a campaign or callback gets the outcome), fenced by the PBX's lease; its fields
come from the ``calls`` row only, so a second node building it stores the same leg
digest, i.e. nothing; a real CDR arriving later is one more leg of the same request,
re-summarised into its one record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from cpaas_daemon.ami.bus import PBX_KEY, Event, EventBus
from cpaas_daemon.calls.model import CallStatus
from cpaas_daemon.calls.repository import CallAwaitingCdr, CallRepository
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.cdr.ami_outcome import originated_leg
from cpaas_daemon.cdr.csv_backfill import CdrCsvBackfill
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.cluster.leases import Lease
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.tasks import cancel
from cpaas_daemon.timefmt import parse_iso

log = structlog.get_logger(__name__)

CLOCK_SKEW = 2.0
"""Seconds the node that placed a call and this one may disagree by (NTP keeps them
closer): a PBX booted less than this before a call was placed counts as restarted."""


class LostCalls:
    """One pending check per PBX, replaced at each login to it."""

    def __init__(
        self,
        calls: CallRepository,
        ingest: CdrIngest,
        tracker: CallTracker,
        bus: EventBus,
        *,
        bound: float,
        lease: Callable[[str], Lease | None],
    ) -> None:
        self._calls = calls
        self._ingest = ingest
        self._tracker = tracker
        self._bound = bound
        self._lease = lease
        self._booted: dict[str, float] = {}  # PBX -> when its Asterisk started (epoch s)
        self._checks: dict[str, asyncio.Task[None]] = {}
        bus.subscribe(self._on_fully_booted, "FullyBooted")

    def _on_fully_booted(self, event: Event) -> None:
        """Sent by Asterisk at every login: its ``Uptime`` says when it started."""
        uptime = event.get("Uptime", "")
        pbx_id = event.get(PBX_KEY, DEFAULT_PBX_ID)
        if uptime.isascii() and uptime.isdigit():
            self._booted[pbx_id] = time.time() - int(uptime)
        else:  # an Asterisk that does not say: every call counts as maybe cut
            self._booted.pop(pbx_id, None)

    async def logged_in(self, pbx_id: str, csv: CdrCsvBackfill | None) -> None:
        """A login hook: note the PBX's calls without a CDR, check them after the bound."""
        await cancel(self._checks.pop(pbx_id, None))
        placed = await self._calls.placed_without_cdr(pbx_id)
        if placed:
            log.info("cdr.lost_calls_pending", pbx=pbx_id, calls=len(placed))
            self._checks[pbx_id] = asyncio.create_task(
                self._check_later(pbx_id, csv, placed), name=f"lost-calls-{pbx_id}"
            )

    async def start(self) -> None:
        """Nothing to start: checks are created by logins."""

    async def stop(self) -> None:
        for task in list(self._checks.values()):
            await cancel(task)
        self._checks.clear()

    async def _check_later(
        self, pbx_id: str, csv: CdrCsvBackfill | None, placed: list[str]
    ) -> None:
        await asyncio.sleep(self._bound)
        try:
            await self.check(pbx_id, csv, placed)
        except Exception:
            log.exception("cdr.lost_calls_failed", pbx=pbx_id, calls=len(placed))

    async def check(self, pbx_id: str, csv: CdrCsvBackfill | None, placed: list[str]) -> list[str]:
        """Write the CDR of each of these calls that is unanswered for sure (see above);
        returns their request_ids."""
        lease = self._lease(pbx_id)
        if lease is None:  # another node works the PBX now: its own login checks them
            return []
        if csv is None or not await csv.caught_up():
            self._unknown(pbx_id, placed, "no readable Master.csv to prove it unanswered")
            return []
        awaiting = await self._calls.awaiting_cdr(placed)
        live = self._tracker.originated_live_on(pbx_id)
        outcomes = self._ingest.outcomes
        ended = [rid for rid in awaiting if rid not in live and not outcomes.saw_end(rid)]
        booted = self._booted.get(pbx_id)
        sure = [
            rid
            for rid in ended
            if booted is not None
            and booted + CLOCK_SKEW < parse_iso(awaiting[rid].created_at).timestamp()
        ]
        self._unknown(
            pbx_id,
            [rid for rid in ended if rid not in sure],
            "the PBX (re)started after it was placed, or did not say when it started",
        )
        legs = [self._leg(rid, awaiting[rid], pbx_id) for rid in sure]
        if legs:
            await self._ingest.store(legs, fence=lease)
        for rid in sure:
            log.warning("cdr.lost_call_unanswered", request_id=rid, pbx=pbx_id)
        return sure

    @staticmethod
    def _unknown(pbx_id: str, request_ids: list[str], why: str) -> None:
        for rid in request_ids:
            log.warning("cdr.lost_call_unknown", request_id=rid, pbx=pbx_id, reason=why)

    def _leg(self, request_id: str, call: CallAwaitingCdr, pbx_id: str) -> dict[str, str]:
        """The originated leg's CDR as Asterisk would write it knowing only that it was not
        answered; every field from the calls row (the same leg on any node)."""
        started = parse_iso(call.created_at)
        return originated_leg(
            request_id,
            call,
            pbx_id,
            StartTime=self._ingest.zones.wall(started, pbx_id),
            Disposition=CallStatus.NO_ANSWER.value,
        )
