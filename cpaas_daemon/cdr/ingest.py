"""Store every ``Cdr`` event and keep each request's CDR summary current.

Events are queued by the bus handler (no I/O on the reader's path) and flushed in
batches: one transaction inserts the legs (``ON CONFLICT DO NOTHING`` on a digest of
the fields and the PBX, so a duplicate is stored once) and re-summarises the requests
they touched, in three statements for the whole batch (kinds, legs, updates), not three
per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from zoneinfo import ZoneInfo

import structlog

from cpaas_daemon.ami.bus import PBX_KEY, Event, EventBus
from cpaas_daemon.calls.model import CallKind, DialStatus, request_id_from_uniqueid
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.cdr.ami_outcome import DISPOSITION, AmiOutcomes
from cpaas_daemon.cdr.summary import CdrSummary, summarise
from cpaas_daemon.cdr.zones import PbxZones
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database, Row, Transaction
from cpaas_daemon.store.group_insert import Guard
from cpaas_daemon.tasks import cancel
from cpaas_daemon.timefmt import iso, pbx_local_to_iso, utc_now

log = structlog.get_logger(__name__)

LEG_FIELDS = (
    "AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel",
    "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime",
    "EndTime", "Duration", "BillableSeconds", "Disposition", "UniqueID", "UserField",
)  # fmt: skip

BATCH_SIZE = 500
STAMP_CACHE = 4096  # PBX wall-clock strings -> stored UTC ISO, per ingest
SUMMARY_CHUNK = 500  # requests per re-summarising round (bound parameters per statement)
FLUSH_INTERVAL = 0.02  # seconds between the starts of two flushes, at least

# A leg already stored (same digest in leg_key) is ignored: nothing is stored twice.
INSERT_LEGS = (
    "INSERT INTO cdr_legs (leg_key, request_id, account_code, source,"
    " destination, destination_context, caller_id, channel, destination_channel,"
    " last_application, last_data, start_time, answer_time, end_time, duration,"
    " billsec, disposition, uniqueid, userfield, received_at, pbx_id)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"
)

SummaryListener = Callable[[str, str], None]
Statement = tuple[str, tuple[object, ...]]


def leg_key(event: Mapping[str, str]) -> str:
    """A digest of the leg's fields and, beyond the single PBX, of its PBX: Uniqueids and
    channel names are unique per PBX only, so two PBXs' identical lines are two legs.
    (The ``default`` PBX's digest is the one stored before there were several.)"""
    raw = "\x1f".join(event.get(name, "") for name in LEG_FIELDS)
    pbx_id = event.get(PBX_KEY, DEFAULT_PBX_ID)
    if pbx_id != DEFAULT_PBX_ID:
        raw = f"{raw}\x1f{pbx_id}"
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def leg_request_id(event: Mapping[str, str]) -> str | None:
    userfield = event.get("UserField", "")
    if len(userfield) == 10 and all(c in "0123456789abcdef" for c in userfield):
        return userfield
    return request_id_from_uniqueid(event.get("UniqueID", ""))


class CdrIngest:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        metrics: Metrics,
        pbx_tz: ZoneInfo,
        fallback_after: float = 5.0,
        *,
        zones: Mapping[str, ZoneInfo] | None = None,
    ) -> None:
        """``pbx_tz`` is the zone of the local times in CDRs; ``zones`` the PBXs whose
        Asterisk runs in another (``[[pbx]]`` entries with their own ``pbx_timezone``)."""
        self._db = db
        self.zones = PbxZones(pbx_tz, zones or {})
        # What AMI said of each call: it corrects the CDR's dial status, and it stands in
        # for a CDR the PBX's cdr.conf never writes (stored through :meth:`store`).
        self.outcomes = AmiOutcomes(bus, db, self.zones, fallback_after, self.store)
        self._metrics = metrics
        self._queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[tuple[SummaryListener, frozenset[CallKind]]] = []
        self._stamps: dict[tuple[str, str], str | None] = {}
        bus.subscribe(self._on_cdr, "Cdr")

    def on_summary(self, listener: SummaryListener, *kinds: CallKind) -> None:
        """``listener(request_id, dial_status)`` after the CDR of a call of one of these
        kinds (of any kind if none is named) is summarised."""
        self._listeners.append((listener, frozenset(kinds or CallKind)))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="cdr-ingest")

    async def stop(self) -> None:
        """Flush what is queued, then stop: a clean shutdown loses no CDR."""
        await cancel(self._task)
        self._task = None
        await self.outcomes.stop()
        await self._flush(self._drain())

    def _on_cdr(self, event: Event) -> None:
        self._queue.put_nowait(dict(event))

    async def store(
        self,
        events: Iterable[Mapping[str, str]],
        position: Statement | None = None,
        fence: Guard | None = None,
    ) -> None:
        """Store CDRs from another source (Master.csv) now, in one transaction with
        ``position`` (the read position they were read up to); rows the AMI already
        delivered have the same leg digest and are ignored. With ``fence`` (a PBX's
        lease) nothing commits unless this node still holds it (:class:`LeaseLost`)."""
        await self._flush([dict(event) for event in events], position, fence)

    def _drain(self) -> list[dict[str, str]]:
        batch: list[dict[str, str]] = []
        while not self._queue.empty() and len(batch) < BATCH_SIZE:
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        """A CDR after a quiet spell is stored at once (a CRM waits for its call's
        ``call.completed``); while CDRs keep coming, flushes start at most every
        ``FLUSH_INTERVAL`` (or with a full batch), so a burst shares its transactions."""
        flushed_at = -FLUSH_INTERVAL
        while True:
            first = await self._queue.get()
            wait = flushed_at + FLUSH_INTERVAL - time.monotonic()
            if wait > 0 and self._queue.qsize() < BATCH_SIZE - 1:
                await asyncio.sleep(wait)
            flushed_at = time.monotonic()
            batch = [first, *self._drain()]
            try:
                await self._flush(batch)
            except Exception:
                log.exception("cdr.flush_failed", rows=len(batch))
                for event in batch:  # keep them: retried with the next batch
                    self._queue.put_nowait(event)
                await asyncio.sleep(1.0)

    def _stamp(self, text: str, pbx_id: str) -> str | None:
        """:func:`pbx_local_to_iso` in the PBX's zone, remembered: the legs of a burst
        share their seconds (start, answer and end of calls placed together), and
        strptime is the costliest step of storing a leg."""
        key = (text, pbx_id)
        stored = self._stamps.get(key)
        if stored is None and key not in self._stamps:
            if len(self._stamps) >= STAMP_CACHE:
                self._stamps.clear()
            stored = self._stamps[key] = pbx_local_to_iso(text, self.zones.of(pbx_id))
        return stored

    def _row(self, event: Mapping[str, str], received: str) -> tuple[str | int | None, ...]:
        pbx_id = event.get(PBX_KEY, DEFAULT_PBX_ID)
        return (
            leg_key(event),
            leg_request_id(event),
            *(event.get(name, "") for name in LEG_FIELDS[:9]),
            self._stamp(event.get("StartTime", ""), pbx_id),
            self._stamp(event.get("AnswerTime", ""), pbx_id),
            self._stamp(event.get("EndTime", ""), pbx_id),
            int(event.get("Duration", "0") or 0),
            int(event.get("BillableSeconds", "0") or 0),
            event.get("Disposition", ""),
            event.get("UniqueID", ""),
            event.get("UserField", ""),
            received,
            pbx_id,
        )

    async def _flush(
        self,
        batch: list[dict[str, str]],
        position: Statement | None = None,
        fence: Guard | None = None,
    ) -> None:
        if not batch and position is None:
            return
        received = iso(utc_now())
        rows = [self._row(event, received) for event in batch]
        touched = list({request_id for event in batch if (request_id := leg_request_id(event))})
        summaries: list[tuple[str, CallKind, str]] = []
        async with self._db.transaction() as conn:
            if fence is not None:
                await fence.check(conn)
            await conn.executemany(INSERT_LEGS, rows)
            if position is not None:
                await conn.execute(*position)
            for start in range(0, len(touched), SUMMARY_CHUNK):
                chunk = touched[start : start + SUMMARY_CHUNK]
                summaries.extend(await self._resummarise(conn, chunk))
        self._metrics.cdr_rows.inc(len(rows))
        for request_id, kind, status in summaries:
            for listener, kinds in self._listeners:
                if kind in kinds:
                    listener(request_id, status)

    async def _resummarise(
        self, conn: Transaction, request_ids: list[str]
    ) -> list[tuple[str, CallKind, str]]:
        """Re-summarise these requests in three statements, whatever their number: the
        kinds of those that are calls, all their legs, one UPDATE per summary ready.
        Returns (request_id, kind, dial_status) of each request summarised, in order."""
        kinds = await CallRepository.kinds(conn, request_ids)
        if not kinds:
            return []
        calls = [request_id for request_id in request_ids if request_id in kinds]
        legs: dict[str, list[Row]] = {request_id: [] for request_id in calls}
        for leg in await conn.fetchall(
            f"SELECT * FROM cdr_legs WHERE request_id IN ({','.join('?' * len(calls))})"
            " ORDER BY id",
            calls,
        ):
            legs[leg["request_id"]].append(leg)
        now = iso(utc_now())
        updates: list[tuple[str, CdrSummary]] = []
        done = []
        for request_id in calls:
            summary = summarise(request_id, kinds[request_id], legs[request_id])
            if summary is None:
                continue
            told = self.outcomes.dial_status(request_id)
            if told is not None and told != summary.dial_status:
                # cdr.conf's congestion=no writes FAILED for CONGESTION, and no
                # disposition says CANCEL: AMI's DIALSTATUS is the truth.
                summary = replace(summary, dial_status=told, call_status=DISPOSITION[told])
            if summary.dial_status != DialStatus.ANSWER:
                # Nobody talked: the first leg's answered seconds are not billable.
                summary = replace(summary, billsec=0.0)
            updates.append((request_id, summary))
            done.append((request_id, kinds[request_id], summary.dial_status))
        await CallRepository.write_summaries(conn, updates, now)
        return done
