"""What AMI said about a call we placed, for when its CDR is wrong or never comes.

Asterisk's CDRs depend on the PBX's ``cdr.conf``: with its defaults (``unanswered=no``,
``congestion=no``) a call whose first party is busy, congested, unreachable or does not
answer writes no CDR at all (no ``Cdr`` event, no Master.csv row), and a congested
destination is written FAILED. AMI tells the truth either way:

* the OriginateResponse of a failed Originate carries the reason (5 busy, 8 congestion,
  3 no answer, 1 hung up before answering, 0 failed); its ActionID names the request;
* the DialEnd of the originated leg's ``Dial`` carries DIALSTATUS, CANCEL included
  (the agent hung up while the destination rang), which no CDR disposition has;
* the originated leg's Hangup ends the call.

:class:`AmiOutcomes` keeps these per request. The CDR summary takes its dial status from
here when AMI said one (:meth:`dial_status`); and when the originated leg has hung up and
no CDR arrived ``grace`` seconds later, a CDR leg is built from these facts and stored
like any other, so every request ends with exactly one CDR whatever cdr.conf says. A
real CDR that arrives later (Master.csv after a restart) re-summarises it: still one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from cpaas_daemon.ami.bus import PBX_KEY, Event, EventBus
from cpaas_daemon.calls.model import (
    CallStatus,
    DialStatus,
    is_originated_leg,
    request_id_from_uniqueid,
)
from cpaas_daemon.calls.repository import CallAwaitingCdr, CallRepository
from cpaas_daemon.cdr.zones import PbxZones
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import utc_now

log = structlog.get_logger(__name__)

# OriginateResponse Reason (Asterisk's AST_CONTROL_*) -> DIALSTATUS.
REASON_STATUS = {
    "1": DialStatus.NOANSWER,
    "3": DialStatus.NOANSWER,
    "5": DialStatus.BUSY,
    "8": DialStatus.CONGESTION,
}
# DIALSTATUS -> the CDR disposition (call_status) it stands for.
DISPOSITION: dict[str, CallStatus] = {
    DialStatus.ANSWER: CallStatus.ANSWERED,
    DialStatus.BUSY: CallStatus.BUSY,
    DialStatus.NOANSWER: CallStatus.NO_ANSWER,
    DialStatus.CANCEL: CallStatus.NO_ANSWER,
    DialStatus.CONGESTION: CallStatus.CONGESTION,
    DialStatus.CHANUNAVAIL: CallStatus.FAILED,
}
MAX_TRACKED = 100_000  # calls whose facts are kept; the oldest go first

Store = Callable[[Iterable[Mapping[str, str]]], Awaitable[None]]


def originate_action_id(prefix: str, request_id: str) -> str:
    """The ActionID of a request's Originate: its OriginateResponse then names it."""
    return f"{prefix}.{request_id}"


@dataclass
class _Facts:
    started: datetime
    uniqueid: str = ""
    channel: str = ""
    dial_status: str | None = None
    dialled: bool = False  # the first party answered and the dialplan ran Dial
    answered: datetime | None = None  # the destination answered (two-party calls)
    ended: datetime | None = None  # the originated leg hung up (or the Originate failed)
    pbx_id: str = DEFAULT_PBX_ID  # the PBX whose events these are


class AmiOutcomes:
    def __init__(
        self, bus: EventBus, db: Database, zones: PbxZones, grace: float, store: Store
    ) -> None:
        self._calls = CallRepository(db)
        self._zones = zones
        self._grace = grace
        self._store = store
        self._facts: OrderedDict[str, _Facts] = OrderedDict()
        # Ended calls by the loop time their check is due; the grace is one constant, so
        # insertion order is due order and one sweeper serves them all.
        self._due: dict[str, float] = {}
        self._sweeper: asyncio.Task[None] | None = None
        bus.subscribe(self._on_originate_response, "OriginateResponse")
        bus.subscribe(self._on_dial, "DialBegin", "DialEnd")
        bus.subscribe(self._on_hangup, "Hangup")

    def dial_status(self, request_id: str) -> str | None:
        """DIALSTATUS as AMI reported it, or None when AMI said nothing decisive."""
        facts = self._facts.get(request_id)
        return None if facts is None else facts.dial_status

    def saw_end(self, request_id: str) -> bool:
        """AMI reported that this call ended (its originated leg hung up, or its Originate
        failed): its CDR is this class's to build if none comes."""
        facts = self._facts.get(request_id)
        return facts is not None and facts.ended is not None

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        self._due.clear()

    def _of(self, request_id: str) -> _Facts:
        facts = self._facts.get(request_id)
        if facts is None:
            facts = self._facts[request_id] = _Facts(started=utc_now())
            if len(self._facts) > MAX_TRACKED:
                self._facts.popitem(last=False)
        return facts

    def _originated(self, event: Event) -> str | None:
        uniqueid = event.get("Uniqueid", "")
        return request_id_from_uniqueid(uniqueid) if is_originated_leg(uniqueid) else None

    def _on_originate_response(self, event: Event) -> None:
        _, _, request_id = event.get("ActionID", "").rpartition(".")
        if len(request_id) != 10 or event.get("Response") != "Failure":
            return
        facts = self._of(request_id)
        facts.pbx_id = event.get(PBX_KEY, facts.pbx_id)
        facts.dial_status = REASON_STATUS.get(event.get("Reason", ""), DialStatus.CHANUNAVAIL)
        facts.channel = facts.channel or event.get("Channel", "")
        facts.ended = facts.ended or utc_now()
        self._check_later(request_id)

    def _on_dial(self, event: Event) -> None:
        request_id = self._originated(event)
        if request_id is None:
            return
        facts = self._of(request_id)
        facts.pbx_id = event.get(PBX_KEY, facts.pbx_id)
        facts.dialled = True
        if event["Event"] == "DialEnd":
            facts.dial_status = event.get("DialStatus") or facts.dial_status
            if facts.dial_status == DialStatus.ANSWER:
                facts.answered = utc_now()

    def _on_hangup(self, event: Event) -> None:
        request_id = self._originated(event)
        if request_id is None:
            return
        facts = self._of(request_id)
        facts.pbx_id = event.get(PBX_KEY, facts.pbx_id)
        facts.uniqueid, facts.channel = event.get("Uniqueid", ""), event.get("Channel", "")
        facts.ended = utc_now()
        self._check_later(request_id)

    def _check_later(self, request_id: str) -> None:
        loop = asyncio.get_running_loop()
        self._due.setdefault(request_id, loop.time() + self._grace)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = loop.create_task(self._sweep(), name="cdr-fallback")

    async def _sweep(self) -> None:
        """Check the calls whose grace is over, in one read and one store per round."""
        loop = asyncio.get_running_loop()
        while self._due:
            await asyncio.sleep(max(0.0, next(iter(self._due.values())) - loop.time()))
            now = loop.time()
            ready = [request_id for request_id, at in self._due.items() if at <= now]
            for request_id in ready:
                del self._due[request_id]
            try:
                await self._fallback(ready)
            except Exception:
                log.exception("cdr.fallback_failed", requests=len(ready))

    async def _fallback(self, request_ids: list[str]) -> None:
        """These calls have their CDR, or one is built from the facts."""
        awaiting = await self._calls.awaiting_cdr(request_ids)
        legs = [
            self._leg(request_id, facts, call)
            for request_id, call in awaiting.items()
            if (facts := self._facts.get(request_id)) is not None
        ]
        if legs:
            await self._store(legs)
        for leg in legs:
            log.info("cdr.from_ami", request_id=leg["UserField"], disposition=leg["Disposition"])

    def _leg(self, request_id: str, facts: _Facts, call: CallAwaitingCdr) -> dict[str, str]:
        """A Cdr event as Asterisk would have sent it for the originated leg."""
        ended = facts.ended or utc_now()
        status = facts.dial_status or (
            DialStatus.ANSWER if facts.dialled else DialStatus.CHANUNAVAIL
        )
        answered = facts.answered if status == DialStatus.ANSWER else None
        wall = self._zones.wall
        return originated_leg(
            request_id,
            call,
            facts.pbx_id,
            Channel=facts.channel,
            LastApplication="Dial" if facts.dialled else "",
            StartTime=wall(facts.started, facts.pbx_id),
            AnswerTime=wall(answered, facts.pbx_id) if answered else "",
            EndTime=wall(ended, facts.pbx_id),
            Duration=str(int((ended - facts.started).total_seconds())),
            BillableSeconds=str(int((ended - answered).total_seconds())) if answered else "0",
            Disposition=DISPOSITION[status],
            UniqueID=facts.uniqueid or call.channel_id or "",
        )


def originated_leg(
    request_id: str, call: CallAwaitingCdr, pbx_id: str, **known: str
) -> dict[str, str]:
    """The originated leg's Cdr event as Asterisk would send it, built by the daemon when
    none came (from AMI's facts, or for a call nobody heard end): what the calls row
    says, the fields a builder knows in ``known``, the rest blank as Asterisk leaves them."""
    return {
        "AccountCode": "",
        "Source": "",
        "Destination": call.dialed_number,
        "DestinationContext": call.destination_context,
        "CallerID": "",
        "Channel": "",
        "DestinationChannel": "",
        "LastApplication": "",
        "LastData": "",
        "StartTime": "",
        "AnswerTime": "",
        "EndTime": "",
        "Duration": "0",
        "BillableSeconds": "0",
        "Disposition": "",
        "AMAFlags": "DOCUMENTATION",
        "UniqueID": call.channel_id or "",
        "UserField": request_id,
        PBX_KEY: pbx_id,
        **known,
    }
