"""Subscriptions, dead letters and delivery bookkeeping: every query names the account,
so one account never sees or changes another's endpoints or events.

The one Python writer of ``webhook_subscriptions`` and ``webhook_deliveries``
(``tests/unit/test_table_owners.py``): the delivery worker decides what an attempt's
outcome is, :meth:`WebhookRepository.write_outcomes` writes it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cpaas_daemon.cluster.leases import Lease
from cpaas_daemon.errors import NotFound, ValidationFailed
from cpaas_daemon.store.db import Database, Params, Row
from cpaas_daemon.timefmt import iso, utc_now
from cpaas_daemon.webhooks.events import ALL, Outbox, parse_types
from cpaas_daemon.webhooks.signing import new_secret

MAX_URL = 2048
ROTATION_OVERLAP = timedelta(hours=24)  # the old secret keeps signing this long
DEAD_PAGE = 500

# The delivery worker's outcomes (see write_outcomes); each constant's ? in order.
# The next pending delivery of each stream whose head (one of the ids the IN list
# names, just written delivered or dead) finished becomes due (the fan-out trigger parked
# it): one statement for a round's heads, not one per head (each is a thread hop taken
# while holding the store's one write lock, which the CDR path waits for).
_UNPARK = (
    "UPDATE webhook_deliveries SET next_at = ? WHERE id IN (SELECT (SELECT MIN(n.id)"
    " FROM webhook_deliveries n WHERE n.webhook_id = h.webhook_id AND n.stream = h.stream"
    " AND n.state = 'pending' AND n.id > h.id) FROM webhook_deliveries h WHERE h.id IN ({}))"
)
UNPARK_CHUNK = 500  # heads per statement (bound parameters)
_DELIVERED = (
    "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?,"
    " last_status = ?, last_error = '', updated_at = ? WHERE id = ?"
)
_RETRY = (
    "UPDATE webhook_deliveries SET attempts = ?, last_status = ?,"
    " last_error = ?, next_at = ?, updated_at = ? WHERE id = ?"
)
_DEAD = (
    "UPDATE webhook_deliveries SET state = 'dead', attempts = ?,"
    " last_status = ?, last_error = ?, updated_at = ? WHERE id = ?"
)
_DISABLE = "UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = ? WHERE webhook_id = ?"


@dataclass(frozen=True)
class Subscription:
    webhook_id: str
    account_id: str
    url: str
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> Subscription:
        return cls(
            webhook_id=row["webhook_id"],
            account_id=row["account_id"],
            url=row["url"],
            event_types=tuple(row["event_types"].split()),
            enabled=bool(row["enabled"]),
            disabled_reason=row["disabled_reason"],
            created_at=row["created_at"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "url": self.url,
            "event_types": list(self.event_types),
            "enabled": "true" if self.enabled else "false",
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at,
        }


def check_url(url: str) -> str:
    """http(s) with a host, no credentials or fragment; where it points is judged when
    sending (ssrf.py), because a name's address can change after registration."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise ValidationFailed(f"url must be an http or https URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValidationFailed("url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("url must be an http or https URL with a host")
    if parts.username or parts.password or parts.fragment:
        raise ValidationFailed("url must not contain credentials or a fragment")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ValidationFailed("url must not contain spaces or control characters")
    return url


def event_types(raw: list[str] | str) -> str:
    names = raw.split(",") if isinstance(raw, str) else raw
    try:
        return parse_types(names)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None


class WebhookRepository:
    """``outbox``: the daemon's, whose map of subscribed accounts is refreshed at once
    after a change (the CLI, in another process, has none: the worker's poll sees it)."""

    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        self._db = db
        self._outbox = outbox

    async def _changed(self) -> None:
        if self._outbox is not None:
            self._outbox.subscribed = await self.subscribed_accounts()

    async def add(
        self, account_id: str, url: str, types: list[str] | str = ALL
    ) -> tuple[Subscription, str]:
        """Create an enabled endpoint; returns it and its signing secret (shown once)."""
        webhook_id, secret = "wh_" + secrets.token_hex(8), new_secret()
        await self._db.execute(
            "INSERT INTO webhook_subscriptions (webhook_id, account_id, url, event_types, secret)"
            " VALUES (?, ?, ?, ?, ?)",
            (webhook_id, account_id, check_url(url), event_types(types), secret),
        )
        await self._changed()
        return await self.get(account_id, webhook_id), secret

    async def get(self, account_id: str, webhook_id: str) -> Subscription:
        row = await self._db.fetchone(
            "SELECT * FROM webhook_subscriptions WHERE account_id = ? AND webhook_id = ?",
            (account_id, webhook_id),
        )
        if row is None:
            raise NotFound("webhook not found")
        return Subscription.from_row(row)

    async def of_account(self, account_id: str) -> list[Subscription]:
        rows = await self._db.fetchall(
            "SELECT * FROM webhook_subscriptions WHERE account_id = ? ORDER BY created_at,"
            " webhook_id",
            (account_id,),
        )
        return [Subscription.from_row(row) for row in rows]

    async def update(
        self,
        account_id: str,
        webhook_id: str,
        *,
        url: str | None = None,
        types: list[str] | str | None = None,
        enabled: bool | None = None,
    ) -> Subscription:
        """Change what is given; enabling clears the reason it was disabled."""
        changed = await self._db.execute(
            "UPDATE webhook_subscriptions SET url = COALESCE(?, url),"
            " event_types = COALESCE(?, event_types), enabled = COALESCE(?, enabled),"
            " disabled_reason = CASE WHEN CAST(? AS INTEGER) IS NULL"
            " THEN disabled_reason ELSE '' END"
            " WHERE account_id = ? AND webhook_id = ?",
            (
                None if url is None else check_url(url),
                None if types is None else event_types(types),
                None if enabled is None else int(enabled),
                None if enabled is None else int(enabled),
                account_id,
                webhook_id,
            ),
        )
        if not changed:
            raise NotFound("webhook not found")
        await self._changed()
        return await self.get(account_id, webhook_id)

    async def rotate(self, account_id: str, webhook_id: str) -> str:
        """A new secret signs from now on; the old one signs too for ROTATION_OVERLAP."""
        secret = new_secret()
        changed = await self._db.execute(
            "UPDATE webhook_subscriptions SET previous_secret = secret, secret = ?,"
            " previous_until = ? WHERE account_id = ? AND webhook_id = ?",
            (secret, iso(utc_now() + ROTATION_OVERLAP), account_id, webhook_id),
        )
        if not changed:
            raise NotFound("webhook not found")
        return secret

    async def remove(self, account_id: str, webhook_id: str) -> None:
        """Its pending and dead deliveries go with it (ON DELETE CASCADE)."""
        if not await self._db.execute(
            "DELETE FROM webhook_subscriptions WHERE account_id = ? AND webhook_id = ?",
            (account_id, webhook_id),
        ):
            raise NotFound("webhook not found")
        await self._changed()

    async def dead(self, account_id: str, webhook_id: str | None = None) -> list[dict[str, Any]]:
        """Dead letters of this account (of one endpoint if named), oldest first."""
        rows = await self._db.fetchall(
            "SELECT d.id, d.webhook_id, d.attempts, d.last_status, d.last_error, d.updated_at,"
            " e.event_id, e.type, e.request_id, e.created_at"
            " FROM webhook_deliveries d JOIN webhook_subscriptions s USING (webhook_id)"
            " JOIN webhook_events e ON e.id = d.event_rowid"
            " WHERE s.account_id = ? AND d.state = 'dead'"
            " AND (CAST(? AS TEXT) IS NULL OR d.webhook_id = ?)"
            f" ORDER BY d.id LIMIT {DEAD_PAGE}",
            (account_id, webhook_id, webhook_id),
        )
        return [
            {
                "delivery_id": str(row["id"]),
                "webhook_id": row["webhook_id"],
                "event_id": row["event_id"],
                "type": row["type"],
                "request_id": row["request_id"] or "",
                "created_at": row["created_at"],
                "attempts": str(row["attempts"]),
                "last_status": "" if row["last_status"] is None else str(row["last_status"]),
                "last_error": row["last_error"],
                "failed_at": row["updated_at"] or "",
            }
            for row in rows
        ]

    async def redeliver(
        self, account_id: str, *, delivery_id: int | None = None, webhook_id: str | None = None
    ) -> int:
        """Dead letters back to pending, due now, with a fresh retry schedule and the same
        event id; returns how many. Re-enables nothing: a disabled endpoint stays so."""
        return await self._db.execute(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?,"
            " last_error = '' WHERE state = 'dead' AND (CAST(? AS BIGINT) IS NULL OR id = ?)"
            " AND (CAST(? AS TEXT) IS NULL OR webhook_id = ?) AND webhook_id IN"
            " (SELECT webhook_id FROM webhook_subscriptions WHERE account_id = ?)",
            (iso(utc_now()), delivery_id, delivery_id, webhook_id, webhook_id, account_id),
        )

    async def subscribed_accounts(self) -> dict[str, frozenset[str]]:
        """Account -> the event types its enabled endpoints want (``*``: every type)."""
        rows = await self._db.fetchall(
            "SELECT account_id, event_types FROM webhook_subscriptions WHERE enabled = 1"
        )
        found: dict[str, set[str]] = {}
        for account_id, types in rows:
            found.setdefault(account_id, set()).update(types.split())
        return {account_id: frozenset(types) for account_id, types in found.items()}

    async def write_outcomes(
        self,
        *,
        delivered: Sequence[Params],
        retries: Sequence[Params],
        dead: Sequence[Params],
        disabled: Sequence[Params],
        finished: Sequence[int],
        now: str,
        fence: Lease | None = None,
    ) -> int:
        """A batch of finished attempts, in ONE transaction, so a stream's next delivery
        is made due with its head's outcome or not at all. The first four arguments hold
        parameter rows of the statement of their name (``_DELIVERED``, ``_RETRY``,
        ``_DEAD``, ``_DISABLE``: endpoints that answered 410); ``finished`` the ids of
        the deliveries among them that were delivered or died, whose streams' next
        deliveries become due at ``now``. Returns how many did. ``fence``: the delivery
        lease the worker runs under; the transaction fails (:class:`LeaseLost`) once
        another node has taken it, so a node that lost the lease never writes over the
        new holder's outcomes."""
        writes = ((_DELIVERED, delivered), (_RETRY, retries), (_DEAD, dead), (_DISABLE, disabled))
        unparked = 0
        async with self._db.transaction() as conn:
            if fence is not None:
                await fence.check(conn)
            for sql, params in writes:
                if params:  # each statement is a thread hop: skip the empty ones
                    await conn.executemany(sql, params)
            for start in range(0, len(finished), UNPARK_CHUNK):
                heads = finished[start : start + UNPARK_CHUNK]
                unparked += await conn.execute(
                    _UNPARK.format(",".join("?" * len(heads))), (now, *heads)
                )
        return unparked


def signing_secrets(row: Row, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    found = [row["secret"]]
    if row["previous_secret"] and row["previous_until"] and row["previous_until"] > iso(now):
        found.append(row["previous_secret"])
    return found
