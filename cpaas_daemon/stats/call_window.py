"""SQL shared by the window counters: which calls are in the window, and their outcome.

Every call of the window has exactly one outcome (docs/counters.md, "Outcomes"):
``dnd``, ``ghost``, ``pending``, ``connected`` or ``missed``. An inbound call is answered
by the IVR before it queues, so its CDR says ANSWER even when nobody took it; whether an
agent did is in ``queue_calls`` (its callid is the Uniqueid of the channel that ran
Queue(), the ``uniqueid`` the CDR summary keeps).
"""

from __future__ import annotations

from typing import Any

from cpaas_daemon.calls.service import TRANSFER_CONTEXT
from cpaas_daemon.queue_log.parser import ANSWERED_END
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.stats.scope import placeholders

SHORT_CALL_SECONDS = 5
"""A connected call talking less than this counts in CHSR (hung up short)."""

_QUEUE = "SELECT {what} FROM queue_calls q WHERE q.callid = c.uniqueid"
_TRANSFER_EVENTS = ", ".join(f"'{e}'" for e in sorted(ANSWERED_END) if "TRANSFER" in e)

OUTCOME = f"""CASE
    WHEN c.dial_status = 'DND' THEN 'dnd'
    WHEN c.cdr_at IS NULL AND c.state IN ('refused', 'uncertain') THEN 'ghost'
    WHEN c.cdr_at IS NULL THEN 'pending'
    WHEN c.kind = 'inbound' THEN CASE
        WHEN EXISTS ({_QUEUE.format(what="1")} AND q.status = 'answered') THEN 'connected'
        ELSE 'missed' END
    WHEN c.dial_status = 'ANSWER' THEN 'connected'
    ELSE 'missed' END"""

TALK = f"""CASE WHEN c.kind = 'inbound'
    THEN IFNULL(({_QUEUE.format(what="SUM(q.talk)")}), 0) ELSE IFNULL(c.billsec, 0) END"""

TRANSFERRED = f"""(EXISTS (SELECT 1 FROM cdr_legs l WHERE l.request_id = c.request_id
        AND l.destination_context = '{TRANSFER_CONTEXT}')
    OR (c.kind = 'inbound'
        AND EXISTS ({_QUEUE.format(what="1")} AND q.event IN ({_TRANSFER_EVENTS}))))"""

QUEUE_WAIT = f"""CASE WHEN c.kind = 'inbound'
    THEN ({_QUEUE.format(what="SUM(q.wait)")} AND q.status != 'pending') END"""
"""Seconds an inbound call waited in queues; NULL when it never queued."""


def where(account_id: str, query: CounterQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (on ``calls c``) for the query's window and filters."""
    sql = "c.account_id = ? AND c.created_at >= ? AND c.created_at < ?"
    params: list[Any] = [account_id, query.window.start_iso, query.window.end_iso]
    if query.kinds is not None:
        kinds = tuple(sorted(kind.value for kind in query.kinds))
        sql += f" AND c.kind IN ({placeholders(kinds)})"
        params.extend(kinds)
    if query.campaigns is not None:
        campaigns = tuple(sorted(query.campaigns))
        sql += f" AND c.campaign_id IN ({placeholders(campaigns)})"
        params.extend(campaigns)
    return sql, params
