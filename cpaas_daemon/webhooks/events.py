"""Event types, the JSON body a receiver gets, and events raised outside a transaction.

Most events are written by SQL triggers (``store/migrations/0500_webhooks.sql``) in the
transaction of the state change they report. Ringing, answered and transfer have no such
transaction (they are AMI events or AMI actions): :class:`Outbox` writes them behind,
batched with the store's other deferred writes, only for accounts with a subscription.
This module is the one Python writer of ``webhook_events`` (``tests/unit/test_table_owners.py``):
the delivery worker prunes old ones through :func:`prune_events`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from cpaas_daemon.store.db import Database, Row

EVENT_TYPES = (
    "call.initiated",
    "call.ringing",
    "call.answered",
    "call.completed",
    "call.dtmf",
    "call.recording_ready",
    "call.transcript_ready",
    "call.transfer",
    "callback.scheduled",
    "callback.dialled",
    "callback.completed",
    "campaign.started",
    "campaign.stopped",
    "campaign.finished",
    "campaign.contact_outcome",
)
ALL = "*"

# The same row a trigger writes; nothing is written for an account without an endpoint.
_INSERT = (
    "INSERT INTO webhook_events (event_id, account_id, type, stream, request_id, data)"
    " SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhook_subscriptions"
    " WHERE account_id = ? AND enabled = 1)"
)


def new_event_id() -> str:
    """The format of the column default the triggers use: ``evt_`` + 32 hex."""
    return "evt_" + secrets.token_hex(16)


def body(event: Row) -> bytes:
    """The POSTed JSON, rebuilt from the stored row: byte-identical on every retry.

    ``data`` is stored as JSON text (``json_object`` in a trigger, or :meth:`Outbox.emit`)
    and spliced in as it is, not decoded and encoded again for every POST.
    """
    head = orjson.dumps(
        {
            "id": event["event_id"],
            "type": event["type"],
            "timestamp": event["created_at"],
            "account": event["account_id"],
            "request_id": event["request_id"],
            "sequence": event["seq"],
        }
    )
    return b"".join((head[:-1], b',"data":', event["data"].encode(), b"}"))


class Outbox:
    """Events the daemon learns outside a transaction of its own (AMI state changes).

    ``subscribed`` maps each account with an enabled endpoint to the event types its
    endpoints want (``*``: all), refreshed by the delivery worker and after each API
    change, so an event nobody listens for costs a dict lookup and writes nothing.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self.subscribed: dict[str, frozenset[str]] = {}
        self.on_emit: Callable[[], None] = lambda: None  # the worker: look soon

    def wants(self, account_id: str, type_: str) -> bool:
        types = self.subscribed.get(account_id)
        return types is not None and (type_ in types or ALL in types)

    def emit(self, account_id: str, type_: str, request_id: str, data: dict[str, Any]) -> None:
        """Write a call event behind (never waits); its stream is the call's request_id."""
        if not self.wants(account_id, type_):
            return
        self._db.defer(
            _INSERT,
            (
                new_event_id(),
                account_id,
                type_,
                request_id,
                request_id,
                orjson.dumps(data).decode(),
                account_id,
            ),
        )
        self.on_emit()


async def prune_events(db: Database, before: str) -> None:
    """Delete events created before ``before`` whose deliveries all succeeded (dead
    letters and pending ones stay)."""
    await db.execute(
        "DELETE FROM webhook_events WHERE created_at < ? AND id NOT IN"
        " (SELECT event_rowid FROM webhook_deliveries WHERE state != 'delivered')",
        (before,),
    )


def parse_types(raw: Iterable[str]) -> str:
    """Validated event types as stored (space-separated, sorted), or ``*`` for all."""
    names = [name.strip() for name in raw]
    if not names:
        raise ValueError("event_types must name at least one event type (or *)")
    if "" in names:
        raise ValueError("event_types must not contain an empty name")
    wanted = set(names)
    if ALL in wanted:
        return ALL
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}")
    return " ".join(sorted(wanted))
