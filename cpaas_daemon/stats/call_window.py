"""The window's calls, one row each, with their outcome: the definition of the counters.

Ecounters reads the rollups of migration 0401 (stats/rollup.py), whose view
``stats_call_source`` classifies a call the same way; this per-call query counts the
windows the rollups cannot (not on 15-minute bounds) and is what tests/unit/stats/test_rollup.py
holds the rollups to.

Every call of the window has exactly one outcome (docs/counters.md, "Outcomes"):
``dnd``, ``ghost``, ``pending``, ``connected`` or ``missed``. An inbound call is answered
by the IVR before it queues, so its CDR says ANSWER even when nobody took it; whether an
agent did is in ``queue_calls`` (its callid is the Uniqueid of the channel that ran
Queue(), the ``uniqueid`` the CDR summary keeps).

The CTE is MATERIALIZED and joins ``queue_calls`` once per call: inlined, SQLite would
re-run the queue lookups for every expression that mentions the outcome.

It reads the owners' read models (migration 0650): ``call_records``,
``queue_call_records`` and ``cdr_leg_records``. A view has no primary key, so the GROUP
BY names every call column used (PostgreSQL infers nothing from a view's ``id``).
"""

from __future__ import annotations

from typing import Any

from cpaas_daemon.calls.service import TRANSFER_CONTEXT
from cpaas_daemon.queue_log.parser import ANSWERED_END
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.stats.scope import placeholders
from cpaas_daemon.store.dialect import count_where

SHORT_CALL_SECONDS = 5
"""A connected call talking less than this counts in CHSR (hung up short)."""

_TRANSFER_EVENTS = ", ".join(f"'{e}'" for e in sorted(ANSWERED_END) if "TRANSFER" in e)

_PER_CALL = f"""per_call AS MATERIALIZED (
    SELECT c.id, c.created_at, c.kind, c.campaign_id, c.dial_status, c.dtmf_inputs,
        c.customer_number,
        CASE c.kind WHEN 'inbound' THEN c.dialed_number ELSE '' END AS did,
        CASE
            WHEN c.dial_status = 'DND' THEN 'dnd'
            WHEN c.cdr_at IS NULL AND c.state IN ('refused', 'uncertain') THEN 'ghost'
            WHEN c.cdr_at IS NULL THEN 'pending'
            WHEN c.kind = 'inbound' THEN CASE WHEN {count_where("q.status = 'answered'")} > 0
                THEN 'connected' ELSE 'missed' END
            WHEN c.dial_status = 'ANSWER' THEN 'connected'
            ELSE 'missed' END AS outcome,
        CASE WHEN {count_where(f"q.event IN ({_TRANSFER_EVENTS})")} > 0 OR EXISTS (
            SELECT 1 FROM cdr_leg_records l WHERE l.request_id = c.request_id
            AND l.destination_context = '{TRANSFER_CONTEXT}') THEN 1 ELSE 0 END AS transferred,
        CASE WHEN c.kind = 'inbound' THEN COALESCE(SUM(q.talk), 0)
            ELSE COALESCE(c.billsec, 0) END AS talk,
        SUM(CASE WHEN q.status != 'pending' THEN q.wait END) AS wait,
        CASE WHEN c.cdr_at IS NOT NULL
            AND COALESCE(c.call_duration, 0) > COALESCE(c.billsec, 0)
            THEN COALESCE(c.call_duration, 0) - COALESCE(c.billsec, 0)
            WHEN c.cdr_at IS NOT NULL THEN 0 END AS ring
    FROM call_records c
    LEFT JOIN queue_call_records q ON c.kind = 'inbound' AND q.callid = c.uniqueid
    WHERE {{where}}
    GROUP BY c.id, c.request_id, c.created_at, c.kind, c.campaign_id, c.dial_status,
        c.dtmf_inputs, c.customer_number, c.dialed_number, c.state, c.cdr_at, c.billsec,
        c.call_duration
)"""
"""One row per call of the window. ``wait`` is NULL for a call that never queued."""


def where(account_id: str, query: CounterQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (on ``call_records c``) for the query's window and filters."""
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


def per_call(account_id: str, query: CounterQuery) -> tuple[str, list[Any]]:
    """``WITH per_call AS (...)`` for the query's window and filters, and its parameters."""
    sql, params = where(account_id, query)
    return "WITH " + _PER_CALL.format(where=sql), params
