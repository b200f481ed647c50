"""Deliver the outbox: at least once, in order per call per endpoint, signed, bounded.

Only the oldest pending delivery of an (endpoint, stream) is due; the fan-out trigger
parks the ones behind it. Two loops share the work. The reader's rounds (woken by new
events or by written outcomes, at most every ``MIN_ROUND``, else every
``poll_interval``) read the due deliveries in id order through the partial index, queue
them per endpoint and start what the free slots allow. The recorder writes the outcomes
of finished POSTs, at most every ``MIN_RECORD``, all of them in one transaction that
also makes the next delivery of each stream whose head was delivered (or died) due, and
then wakes the reader. The reader never waits for the store's write lock: a new
``call.completed`` is read and sent while the outcomes of the events before it queue for
that lock behind the CDR path's and the originate path's transactions (with one loop,
a round stuck behind them held every new event back; issue 13 item 6). Between rounds
POSTs start from the queues as slots free: an endpoint never has more than
``concurrency_per_endpoint`` in flight, so one slow CRM holds its own slots only. A
failed POST's stream waits for its retry (``next_at``), its successors stay parked.

A delivery whose outcome was written stays known to the reader (sent, or blocking its
stream) until a read that began after that commit: an earlier read may still show it
pending and due, and must not send it again.

A delivery stays ``pending`` in the store until its 2xx is recorded: a crash or kill -9
during a POST makes the next process send it again, with the same ``webhook-id`` (and
its successors stay parked until it is recorded, so the order holds across a crash).

When several daemons share one store the worker runs on one node only, the holder of
the ('webhooks', 'delivery') lease (:mod:`cpaas_daemon.webhooks.delivery`): two workers
would POST the same delivery and break the order per stream. Its writes are fenced by
that lease, and it starts again from the store each time this node takes the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp
import structlog

from cpaas_daemon.cluster.leases import Lease
from cpaas_daemon.config import WebhooksConfig
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database, Row
from cpaas_daemon.timefmt import iso, utc_now
from cpaas_daemon.webhooks import retry, signing
from cpaas_daemon.webhooks.events import Outbox, body, prune_events
from cpaas_daemon.webhooks.repository import WebhookRepository, signing_secrets
from cpaas_daemon.webhooks.ssrf import AddressPolicy, BlockedAddress, GuardedResolver

log = structlog.get_logger(__name__)

PRUNE_EVERY = 600.0  # seconds between deletions of old delivered events
MIN_ROUND = 0.01  # seconds between the starts of two reads of the due deliveries
MIN_RECORD = 0.02  # seconds between the starts of two outcome writes: a burst shares one
DEFER_LANDS = 0.02  # seconds until a deferred write has usually been committed
PLAN_PER_SLOT = 8  # due deliveries read per endpoint per round, per concurrency slot
MAX_ANSWER = 1 << 16  # bytes of a receiver's answer read (and ignored)

PARKED = "9999-12-31T23:59:59.999Z"  # next_at of a delivery behind another (0500_webhooks.sql)

Key = tuple[str, str]  # (webhook_id, stream)

_DUE = """
SELECT d.id, d.webhook_id, d.stream, d.attempts, s.url, s.secret, s.previous_secret,
       s.previous_until, e.event_id, e.type, e.created_at, e.account_id, e.request_id,
       e.seq, e.data
  FROM (SELECT p.*, ROW_NUMBER() OVER (PARTITION BY p.webhook_id ORDER BY p.id) AS nth
          FROM webhook_deliveries p
         WHERE p.state = 'pending' AND p.next_at <= :now) d
  JOIN webhook_subscriptions s ON s.webhook_id = d.webhook_id
  JOIN webhook_events e ON e.id = d.event_rowid
 WHERE s.enabled = 1 AND d.nth <= :per_endpoint
 ORDER BY d.id
"""


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    webhook_id: str
    stream: str
    attempts: int  # including this one
    status: int | None  # HTTP status, None when no answer
    error: str
    retry_after: float | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        config: WebhooksConfig,
        metrics: Metrics,
        repository: WebhookRepository | None = None,
    ) -> None:
        """``repository`` writes the outcomes (default: one on ``db``)."""
        self._db = db
        self._metrics = metrics
        self._outbox = outbox
        self._repo = repository or WebhookRepository(db)
        self._config = config
        self._policy = AddressPolicy(config.allowed_networks)
        self._wake = asyncio.Event()
        self._outcomes: list[Outcome] = []
        self._slots: set[asyncio.Task[None]] = set()  # POSTing, one delivery at a time each
        self._running: dict[int, Key] = {}  # sent, outcome not yet written: blocks its key
        self._done: set[int] = set()  # answered 2xx, not yet written: blocks nothing
        # written (ids), not yet seen by a read that began after the commit
        self._written: list[int] = []
        self._recorded = asyncio.Event()  # outcomes are waiting to be written
        self._busy: Counter[str] = Counter()  # slots (so POSTs in flight) per endpoint
        self._ready: dict[str, deque[Row]] = defaultdict(deque)
        self._behind: dict[Key, deque[Row]] = defaultdict(deque)
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._recorder: asyncio.Task[None] | None = None
        self._closing = False  # stop(): the recorder writes what is left, then returns
        self._fence: Lease | None = None
        self._may_deliver: Callable[[], bool] = lambda: True
        self._pruned_at = 0.0
        self._soon: asyncio.TimerHandle | None = None
        # enough to keep every slot busy until the next round (a finished POST wakes
        # one), few enough that an endpoint catching up on a backlog costs little to plan
        self._plan_size = PLAN_PER_SLOT * config.concurrency_per_endpoint

    async def start(
        self, fence: Lease | None = None, may_deliver: Callable[[], bool] = lambda: True
    ) -> None:
        """Deliver from the store's state, writing outcomes under ``fence`` (the
        delivery lease; None: unfenced, a worker alone on its store). ``may_deliver``
        is asked before every POST: False once the lease lapsed on this node's clock,
        before another node may take it (the worker is stopped at the keeper's next
        round, which may come after that)."""
        self._fence, self._may_deliver = fence, may_deliver
        self._outcomes, self._running, self._done, self._written = [], {}, set(), []
        self._closing = False
        self._busy, self._ready, self._behind = Counter(), defaultdict(deque), defaultdict(deque)
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self._policy), use_dns_cache=False, limit=0
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=self._config.timeout, connect=self._config.connect_timeout
            ),
            headers={"User-Agent": "cpaas-daemon-webhooks"},
            auto_decompress=False,
        )
        self._task = asyncio.create_task(self._run(), name="webhook-delivery")
        self._recorder = asyncio.create_task(self._record_loop(), name="webhook-outcomes")

    async def stop(self) -> None:
        """POSTs cut short stay pending in the store and are sent again by the next run.
        The recorder is not cancelled but asked to finish: it writes what has finished
        and returns (a write cut inside the store's BEGIN could leave the connection in
        a transaction)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in self._slots:
            task.cancel()
        await asyncio.gather(*self._slots, return_exceptions=True)
        if self._recorder is not None:
            self._closing = True
            self._recorded.set()
            await self._recorder
        if self._session is not None:
            await self._session.close()
        self._task = self._recorder = self._session = None

    @property
    def running(self) -> bool:
        """Whether this worker delivers now (between :meth:`start` and :meth:`stop`)."""
        return self._task is not None

    def wake(self) -> None:
        """Look for due deliveries now (new events were committed)."""
        self._wake.set()

    def wake_soon(self) -> None:
        """An event was written behind (``Database.defer``): look once it has landed
        (one timer for a burst of them)."""
        if self._soon is None:
            self._soon = asyncio.get_running_loop().call_later(DEFER_LANDS, self._woken_soon)

    def _woken_soon(self) -> None:
        self._soon = None
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_interval)
            self._wake.clear()
            started = time.monotonic()
            if not self._may_deliver():
                continue
            settled, self._written = self._written, []  # committed before this read
            # the deliveries sent and not yet written are still pending and due in the
            # store: read as many more, or a backlog of unwritten outcomes would fill the
            # window and hide a new call.completed behind it until they are written
            window = self._plan_size + len(self._running) + len(self._done)
            try:
                rows = await self._db.fetchall(
                    _DUE, {"now": iso(utc_now()), "per_endpoint": window}
                )
            except Exception:
                self._written[:0] = settled
                log.exception("webhook.round_failed")
                await asyncio.sleep(1.0)
                continue
            for delivery_id in settled:  # the read shows what was written for these
                self._done.discard(delivery_id)
                self._running.pop(delivery_id, None)
            self._plan(rows)
            for webhook_id in list(self._ready):
                self._pump(webhook_id)
            # rounds start MIN_ROUND apart at most: one that took longer (a busy store)
            # is followed at once by the next, if something woke it meanwhile
            await asyncio.sleep(max(0.0, started + MIN_ROUND - time.monotonic()))

    async def _record_loop(self) -> None:
        """Write finished attempts as they come, at most every ``MIN_RECORD`` (while
        POSTs keep finishing, each write takes all that finished since the last one),
        then wake the reader if a stream's next delivery became due or a failed one's
        stream may be planned again (its retry is written). Old events are pruned here
        too: the reader never waits for the write lock."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._recorded.wait(), self._config.poll_interval)
            self._recorded.clear()
            started = time.monotonic()
            try:
                if await self._record():
                    self.wake()
                if self._closing:
                    return
                await self._prune()
            except Exception:  # e.g. refused by the fence once the lease is lost
                log.exception("webhook.outcomes_failed")  # kept: written next time
                if self._closing:
                    return  # still pending in the store: sent again by the next run
                self._recorded.set()
                await asyncio.sleep(1.0)
            await asyncio.sleep(max(0.0, started + MIN_RECORD - time.monotonic()))

    def _plan(self, rows: list[Row]) -> None:
        """Rebuild the queues from the store's due deliveries (id order): per stream the
        first not yet sent is ready unless one of the stream is running; the rest wait."""
        ready: dict[str, deque[Row]] = defaultdict(deque)
        behind: dict[Key, deque[Row]] = defaultdict(deque)
        blocked = set(self._running.values())
        for row in rows:
            delivery_id = row["id"]
            if delivery_id in self._done or delivery_id in self._running:
                continue
            key = (row["webhook_id"], row["stream"])
            if key in blocked:
                behind[key].append(row)
            else:
                ready[row["webhook_id"]].append(row)
                blocked.add(key)
        self._ready, self._behind = ready, behind

    def _pump(self, webhook_id: str) -> None:
        """Open slots for this endpoint's ready deliveries, as many as it may have."""
        free = self._config.concurrency_per_endpoint - self._busy[webhook_id]
        for _ in range(min(free, len(self._ready.get(webhook_id) or ()))):
            self._busy[webhook_id] += 1
            task = asyncio.create_task(self._slot(webhook_id), name=f"webhook-{webhook_id}")
            self._slots.add(task)
            task.add_done_callback(self._slots.discard)

    async def _slot(self, webhook_id: str) -> None:
        """One of an endpoint's slots: POST its ready deliveries one after the other until
        none is left, the next one in the same turn of the loop the previous one ended
        in (a task per POST would cost a turn, and an endpoint's rate is its slots over
        the time each is held)."""
        try:
            while (queue := self._ready.get(webhook_id)) and self._may_deliver():  # re-read
                row = queue.popleft()
                self._running[row["id"]] = (webhook_id, row["stream"])
                await self._deliver(row)
        finally:
            self._busy[webhook_id] -= 1

    async def _deliver(self, row: Row) -> None:
        status, error, retry_after = await self._post(row)
        outcome = Outcome(
            row["id"],
            row["webhook_id"],
            row["stream"],
            row["attempts"] + 1,
            status,
            error,
            retry_after,
        )
        self._outcomes.append(outcome)
        if outcome.delivered:
            key = self._running.pop(row["id"])
            self._done.add(row["id"])
            successors = self._behind.get(key)
            if successors:  # due already (a redelivery, a re-enabled endpoint): go now
                self._ready[row["webhook_id"]].append(successors.popleft())
        else:  # the stream waits for the round that writes this and schedules the retry
            log.info(
                "webhook.attempt_failed",
                webhook_id=row["webhook_id"],
                event_id=row["event_id"],
                attempt=outcome.attempts,
                error=error,
            )
        self._recorded.set()  # written soon; that releases the stream's next delivery

    async def _post(self, row: Row) -> tuple[int | None, str, float | None]:
        """One signed POST: (status or None, error text, Retry-After seconds or None).
        Redirects are answers, not instructions: a 3xx is a failed attempt."""
        payload = body(row)
        headers = signing.headers(
            signing_secrets(row, utc_now()), row["event_id"], int(time.time()), payload
        )
        assert self._session is not None
        try:
            self._policy.check_literal(urlsplit(row["url"]).hostname or "")
            async with self._session.post(
                row["url"], data=payload, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                await response.content.read(MAX_ANSWER)  # read, so the connection is reused
                if 200 <= status < 300:
                    return status, "", None
                wait = retry.parse_retry_after(response.headers.get("Retry-After"), utc_now())
                redirect = " (redirects are not followed)" if 300 <= status < 400 else ""
                return status, f"HTTP {status}{redirect}", wait
        except BlockedAddress as exc:
            return None, f"refused: {exc}", None
        except TimeoutError:
            return None, "timed out", None
        except aiohttp.ClientError as exc:
            return None, f"{type(exc).__name__}: {exc}", None
        except Exception as exc:  # a failed attempt, never a stream blocked by a dead task
            log.exception("webhook.post_failed", webhook_id=row["webhook_id"])
            return None, f"{type(exc).__name__}: {exc}", None

    async def _record(self) -> bool:
        """Write finished attempts in one transaction; once a read after it has been
        planned, a failed one's stream is free to be planned again (its retry is in the
        store now). True when that made a stream's next delivery due, or wrote a retry."""
        if not self._outcomes:
            return False
        outcomes, self._outcomes = self._outcomes, []
        now = utc_now()
        stamp = iso(now)
        done, retry_rows, dead, gone, finished = [], [], [], set(), []
        for o in outcomes:
            if o.delivered:
                done.append((o.attempts, o.status, stamp, o.delivery_id))
                finished.append(o.delivery_id)
            elif o.status == 410 or o.attempts >= retry.MAX_ATTEMPTS:
                dead.append((o.attempts, o.status, o.error, stamp, o.delivery_id))
                finished.append(o.delivery_id)
                if o.status == 410:
                    gone.add(o.webhook_id)
            else:
                wait = retry.delay_after(o.attempts, self._config.retry_scale, o.retry_after)
                next_at = iso(now + timedelta(seconds=wait))
                retry_rows.append((o.attempts, o.status, o.error, next_at, stamp, o.delivery_id))
        disabled = [(f"endpoint answered 410 Gone at {stamp}", w) for w in gone]
        try:
            unparked = await self._repo.write_outcomes(
                delivered=done,
                retries=retry_rows,
                dead=dead,
                disabled=disabled,
                finished=finished,
                now=stamp,
                fence=self._fence,
            )
        except BaseException:
            self._outcomes[:0] = outcomes  # kept: written with the next round
            raise
        for outcome, rows in (("delivered", done), ("retry", retry_rows), ("dead", dead)):
            if rows:
                self._metrics.webhook_attempts.labels(outcome).inc(len(rows))
        self._written.extend(o.delivery_id for o in outcomes)
        for webhook_id in gone:
            log.warning("webhook.disabled", webhook_id=webhook_id, reason="410 Gone")
        return unparked > 0 or bool(retry_rows)

    async def _prune(self) -> None:
        """Every ``PRUNE_EVERY``: events older than the retention whose deliveries all
        succeeded go (:func:`prune_events`)."""
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        cutoff = iso(utc_now() - timedelta(days=self._config.retention_days))
        await prune_events(self._db, cutoff)
