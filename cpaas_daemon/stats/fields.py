"""The optional ``Field`` counters: per-number classes, retries and time totals.

Seed 000 lists the names only ("CM Completely Missed", "FR_UC FailOver Retry Unique
Call" ...). docs/counters.md gives each one a definition over the customer numbers of
the window: a number's first call is its fresh call and every later one a retry, and a
number is completely answered, partially missed or completely missed by the outcomes
of all its calls. The calls come from ``stats_call_facts`` (their outcome kept by the
triggers of migration 0401), read through its per-number index.
"""

from __future__ import annotations

from typing import Any

from cpaas_daemon.stats import rollup
from cpaas_daemon.stats.codes import NUMBER_FIELDS
from cpaas_daemon.stats.history import WindowTotals
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.dialect import count_where

_CM, _PM, _CA = "m > 0 AND a = 0", "m > 0 AND a > 0", "a > 0 AND m = 0"

SUMMARY = f"""SELECT COUNT(*) AS "UC",
    {count_where(_CM)} AS "CM", {count_where(_PM)} AS "PM", {count_where(_CA)} AS "CA",
    {count_where("g > 0")} AS "GH_UC", {count_where("k > 1")} AS "FR_UC",
    {count_where(f"k > 1 AND {_CM}")} AS "FR_CM", {count_where(f"k > 1 AND {_PM}")} AS "FR_PM",
    {count_where(f"k > 1 AND {_CA}")} AS "FR_CA", {count_where("k > 1 AND g > 0")} AS "FR_GH_UC",
    SUM(k - 1) AS "FR_UC_N", SUM(CASE WHEN {_CM} THEN k - 1 ELSE 0 END) AS "FR_CM_N",
    SUM(CASE WHEN {_PM} THEN k - 1 ELSE 0 END) AS "FR_PM_N",
    SUM(CASE WHEN {_CA} THEN k - 1 ELSE 0 END) AS "FR_CA_N",
    SUM(rg) AS "FR_GH_N", SUM(ra) AS "FR_CAN_FR_PM_N"
FROM per
"""
"""Over ``per``: one row per number with its calls ``k``, connected ``a``, missed ``m``,
ghost ``g``, and its retries (calls after its first) that connected ``ra`` / ghosted ``rg``.
The aliases are quoted: PostgreSQL would fold them to lower case."""

_FIRST_OUTCOME = {
    "sqlite": "MIN(created_at || printf('%019d', call_id)) AS first, outcome",
    "postgres": "(array_agg(outcome ORDER BY created_at, call_id))[1]",
}
_PER_NUMBER = {
    dialect: f"""WITH per AS (
    SELECT k, a, m, g, a - CASE WHEN first_outcome = 'connected' THEN 1 ELSE 0 END AS ra,
        g - CASE WHEN first_outcome = 'ghost' THEN 1 ELSE 0 END AS rg
    FROM (SELECT COUNT(*) AS k, {count_where("outcome = 'connected'")} AS a,
            {count_where("outcome = 'missed'")} AS m, {count_where("outcome = 'ghost'")} AS g,
            {first} AS first_outcome
        FROM stats_call_facts {rollup.numbers_index(dialect)}WHERE {{where}}
        GROUP BY customer_number) AS numbers
)
"""
    + SUMMARY
    for dialect, first in _FIRST_OUTCOME.items()
}
"""A number's retries are its calls after its first (by created_at, then id): its
connected retries are its connected calls less one if the first connected. On SQLite the
first call's outcome is the bare column of the one MIN() (SQLite takes it from that row),
which spares a window function and its sort; PostgreSQL has no bare columns and takes the
first of the outcomes in that order."""


def _average(total: float, count: int) -> float:
    return round(total / count, 2) if count else 0


def _time_and_totals(totals: WindowTotals) -> dict[str, Any]:
    counts = totals.counts
    return {
        "TC": counts["TC"],
        "MC": counts["missed"],
        "AC": counts["connected"],
        "ringTime": round(counts["ring"]),
        "avgRingTime": _average(counts["ring"], counts["rung"]),
        "holdTime": round(counts["wait"]),
        "avgHoldTime": _average(counts["wait"], counts["queued"]),
        "actualTT": round(counts["talk"]),
        "avgTalkTime": _average(counts["talk"], counts["connected"]),
    }


async def field_counters(
    db: Database, account_id: str, query: CounterQuery, totals: WindowTotals
) -> dict[str, Any]:
    """The requested Fields, in the order asked; the per-number query runs only if needed,
    and then also sets ``totals``' freshCall (= UC) and repeatCall (= FR_UC_N)."""
    values = _time_and_totals(totals)
    if any(name in NUMBER_FIELDS for name in query.fields):
        where, params = rollup.window_where(account_id, query)
        row = await db.fetchone(_PER_NUMBER[db.dialect].format(where=where), params)
        if row is not None:
            values.update({name: row[name] or 0 for name in NUMBER_FIELDS})
            totals.counts["fresh"], totals.counts["repeat"] = values["UC"], values["FR_UC_N"]
    return {name: values[name] for name in query.fields}
