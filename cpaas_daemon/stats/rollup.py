"""Read side of the statistics rollups (migration ``0401_stats_rollup.sql``).

Triggers keep ``stats_call_facts`` (one row per call: its outcome, transfer, talk, wait,
ring) and ``stats_call_rollup`` (their sums per account, UTC bucket and dimensions, at 15
minute, 1 hour and 1 day spans) current on every write. A window of whole local days
starts and ends on a 15-minute UTC boundary in every zone in use today, so it splits
into a handful of aligned buckets: the grouped counters read a few hundred rollup rows
instead of every call. A window that does not align (a zone's historical local mean time)
returns ``None`` here and the caller falls back to the per-call query.

``campaign_key`` encodes ``calls.campaign_id``: ``''`` for NULL, ``'=' || id`` otherwise.
"""

from __future__ import annotations

from typing import Any

from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.stats.scope import placeholders

QUARTER, HOUR, DAY = 900, 3600, 86400
SPANS = (DAY, HOUR, QUARTER)

_DIMS = "kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred"
_GROUPED = f"""SELECT {_DIMS}, SUM(n) AS n, SUM(talk) AS talk, SUM(short) AS short,
    SUM(queued) AS queued, SUM(wait) AS wait, SUM(rung) AS rung, SUM(ring) AS ring
FROM ({{ranges}}) AS ranges GROUP BY {_DIMS} HAVING SUM(n) != 0"""
_RANGE = f"""SELECT {_DIMS}, n, talk, short, queued, wait, rung, ring FROM stats_call_rollup
WHERE account_id = ? AND span = ? AND bucket >= ? AND bucket < ?{{filters}}"""


def campaign_key(campaign_id: str | None) -> str:
    return "" if campaign_id is None else "=" + campaign_id


def campaign_of(key: str) -> str | None:
    return key[1:] if key else None


def segments(start: int, end: int) -> list[tuple[int, int, int]] | None:
    """``[start, end)`` (UTC epochs) as ``(span, first bucket, end)`` runs of aligned
    buckets, largest spans first; None if the ends are not on 15-minute boundaries."""
    if start % QUARTER or end % QUARTER:
        return None
    runs: list[tuple[int, int, int]] = []
    at = start
    while at < end:
        span = next(s for s in SPANS if at % s == 0 and at + s <= end)
        if runs and runs[-1][0] == span and runs[-1][2] == at:
            runs[-1] = (span, runs[-1][1], at + span)
        else:
            runs.append((span, at, at + span))
        at += span
    return runs


def filters(query: CounterQuery) -> tuple[str, list[Any]]:
    """The callType / campaignId filters as conditions on the rollup or facts columns."""
    sql, params = "", list[Any]()
    if query.kinds is not None:
        kinds = tuple(sorted(kind.value for kind in query.kinds))
        sql += f" AND kind IN ({placeholders(kinds)})"
        params.extend(kinds)
    if query.campaigns is not None:
        keys = tuple(sorted(campaign_key(c) for c in query.campaigns))
        sql += f" AND campaign_key IN ({placeholders(keys)})"
        params.extend(keys)
    return sql, params


def grouped(account_id: str, query: CounterQuery) -> tuple[str, list[Any]] | None:
    """The rollup query for the window (rows shaped as ``history``'s grouped query, with
    ``campaign_key`` for ``campaign_id``), or None when the window does not align."""
    runs = segments(query.window.start_epoch, query.window.end_epoch)
    if runs is None:
        return None
    extra, extra_params = filters(query)
    ranges: list[str] = []
    params: list[Any] = []
    for span, first, end in runs:
        ranges.append(_RANGE.format(filters=extra))
        params.extend((account_id, span, first, end, *extra_params))
    return _GROUPED.format(ranges="\nUNION ALL\n".join(ranges)), params


def numbers_index(dialect: str) -> str:
    """SQLite's planner is told to read the window's numbered calls through their partial
    index (it would pick the (account_id, created_at) one); PostgreSQL's needs no hint."""
    return "INDEXED BY stats_call_facts_numbers " if dialect == "sqlite" else ""


def window_where(account_id: str, query: CounterQuery) -> tuple[str, list[Any]]:
    """The WHERE clause on ``stats_call_facts`` for the window's calls with a number."""
    sql = "account_id = ? AND created_at >= ? AND created_at < ? AND customer_number != ''"
    params: list[Any] = [account_id, query.window.start_iso, query.window.end_iso]
    extra, extra_params = filters(query)
    return sql + extra, params + extra_params
