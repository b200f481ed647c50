"""Deliver the outbox: at least once, in order per call per endpoint, signed, bounded.

One loop owns all bookkeeping. Each round it (1) writes the outcomes of finished POSTs
in one transaction, (2) refreshes which accounts have endpoints, (3) reads the deliveries
that are due and are the oldest pending one of their (endpoint, stream), at most
``concurrency_per_endpoint`` per endpoint, and (4) starts a task per delivery while its
endpoint has fewer than that many in flight -- so one slow CRM holds only its own slots.

A delivery stays ``pending`` in the store until its 2xx is recorded: a crash or kill -9
during a POST makes the next process send it again, with the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp
import structlog

from cpaas_daemon.config import WebhooksConfig
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import iso, utc_now
from cpaas_daemon.webhooks import retry, signing
from cpaas_daemon.webhooks.events import Outbox, body
from cpaas_daemon.webhooks.repository import WebhookRepository, signing_secrets
from cpaas_daemon.webhooks.ssrf import AddressPolicy, BlockedAddress, GuardedResolver

log = structlog.get_logger(__name__)

PRUNE_EVERY = 600.0  # seconds between deletions of old delivered events

_DUE = """
SELECT d.id, d.webhook_id, d.attempts, s.url, s.secret, s.previous_secret,
       s.previous_until, e.event_id, e.type, e.created_at, e.account_id, e.request_id,
       e.seq, e.data
  FROM (SELECT p.*, ROW_NUMBER() OVER (PARTITION BY p.webhook_id ORDER BY p.id) AS nth
          FROM webhook_deliveries p
         WHERE p.state = 'pending' AND p.next_at <= :now
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries q
                            WHERE q.webhook_id = p.webhook_id AND q.stream = p.stream
                              AND q.state = 'pending' AND q.id < p.id)) d
  JOIN webhook_subscriptions s ON s.webhook_id = d.webhook_id
  JOIN webhook_events e ON e.id = d.event_rowid
 WHERE s.enabled = 1 AND d.nth <= :per_endpoint
 ORDER BY d.id
"""


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    webhook_id: str
    attempts: int  # including this one
    status: int | None  # HTTP status, None when no answer
    error: str
    retry_after: float | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryWorker:
    def __init__(self, db: Database, outbox: Outbox, config: WebhooksConfig) -> None:
        self._db = db
        self._outbox = outbox
        self._repo = WebhookRepository(db)
        self._config = config
        self._policy = AddressPolicy(config.allowed_networks)
        self._wake = asyncio.Event()
        self._outcomes: list[Outcome] = []
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._busy: Counter[str] = Counter()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = 0.0

    async def start(self) -> None:
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
        self._outbox.subscribed = await self._repo.subscribed_accounts()
        self._task = asyncio.create_task(self._run(), name="webhook-delivery")

    async def stop(self) -> None:
        """POSTs cut short stay pending in the store and are sent again by the next run."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in self._inflight.values():
            task.cancel()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._record()
        if self._session is not None:
            await self._session.close()

    def wake(self) -> None:
        """Look for due deliveries now (new events were committed)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_interval)
            self._wake.clear()
            try:
                await self._record()
                self._outbox.subscribed = await self._repo.subscribed_accounts()
                await self._dispatch()
                await self._prune()
            except Exception:
                log.exception("webhook.round_failed")
                await asyncio.sleep(1.0)

    async def _dispatch(self) -> None:
        per_endpoint = self._config.concurrency_per_endpoint
        rows = await self._db.fetchall(_DUE, {"now": iso(utc_now()), "per_endpoint": per_endpoint})
        for row in rows:
            if row["id"] in self._inflight or self._busy[row["webhook_id"]] >= per_endpoint:
                continue
            self._busy[row["webhook_id"]] += 1
            self._inflight[row["id"]] = asyncio.create_task(
                self._deliver(row), name=f"webhook-{row['id']}"
            )

    async def _deliver(self, row: sqlite3.Row) -> None:
        status, error, retry_after = await self._post(row)
        outcome = Outcome(
            row["id"], row["webhook_id"], row["attempts"] + 1, status, error, retry_after
        )
        self._outcomes.append(outcome)
        if not outcome.delivered:
            log.info(
                "webhook.attempt_failed",
                webhook_id=row["webhook_id"],
                event_id=row["event_id"],
                attempt=outcome.attempts,
                error=error,
            )
        self.wake()

    async def _post(self, row: sqlite3.Row) -> tuple[int | None, str, float | None]:
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

    async def _record(self) -> None:
        """Write finished attempts in one transaction, then free their slots."""
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        now = utc_now()
        done, retry_rows, dead, gone = [], [], [], set()
        for o in outcomes:
            if o.delivered:
                done.append((o.attempts, o.status, iso(now), o.delivery_id))
            elif o.status == 410 or o.attempts >= retry.MAX_ATTEMPTS:
                dead.append((o.attempts, o.status, o.error, iso(now), o.delivery_id))
                if o.status == 410:
                    gone.add(o.webhook_id)
            else:
                wait = retry.delay_after(o.attempts, self._config.retry_scale, o.retry_after)
                next_at = iso(now + timedelta(seconds=wait))
                retry_rows.append((o.attempts, o.status, o.error, next_at, iso(now), o.delivery_id))
        try:
            async with self._db.transaction() as conn:
                await conn.executemany(
                    "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?,"
                    " last_status = ?, last_error = '', updated_at = ? WHERE id = ?",
                    done,
                )
                await conn.executemany(
                    "UPDATE webhook_deliveries SET attempts = ?, last_status = ?,"
                    " last_error = ?, next_at = ?, updated_at = ? WHERE id = ?",
                    retry_rows,
                )
                await conn.executemany(
                    "UPDATE webhook_deliveries SET state = 'dead', attempts = ?,"
                    " last_status = ?, last_error = ?, updated_at = ? WHERE id = ?",
                    dead,
                )
                await conn.executemany(
                    "UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = ?"
                    " WHERE webhook_id = ?",
                    [(f"endpoint answered 410 Gone at {iso(now)}", w) for w in gone],
                )
        except BaseException:
            self._outcomes[:0] = outcomes  # kept: written with the next round
            raise
        for o in outcomes:
            self._inflight.pop(o.delivery_id, None)
            self._busy[o.webhook_id] -= 1
        for webhook_id in gone:
            log.warning("webhook.disabled", webhook_id=webhook_id, reason="410 Gone")

    async def _prune(self) -> None:
        """Delete events older than the retention whose deliveries all succeeded (dead
        letters and pending ones stay)."""
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        cutoff = iso(utc_now() - timedelta(days=self._config.retention_days))
        await self._db.execute(
            "DELETE FROM webhook_events WHERE created_at < ? AND id NOT IN"
            " (SELECT event_rowid FROM webhook_deliveries WHERE state != 'delivered')",
            (cutoff,),
        )
