"""Counters over the calls of the window: TC, CT, CST, CMPID, DID, DTMF*, GHC, FWC, TRSC,
MC, CNC, CHSR, repeatCall, freshCall (definitions in docs/counters.md).

The grouped counters come from ``stats_call_rollup`` (stats/rollup.py): one row per
distinct (kind, outcome, status, campaign, DID, DTMF, transferred) combination of each
aligned bucket of the window, summed. :func:`detail_rows` is the same answer computed
from every call of the window (the definition, kept for windows that do not align and
for the tests that hold the rollup to it). The distinct customer numbers are counted
from the compact ``stats_call_facts_numbers`` index.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.stats import call_window, rollup
from cpaas_daemon.stats.codes import DND, GHOST, KIND_CODE, OTHER_STATUS, PENDING, STATUS_CODE
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.stats.rollup import numbers_index
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.dialect import count_where

INVALID_DTMF = re.compile(r"[^0-9*#]")
"""A DTMF input holding anything but keypad keys (a timeout marker, say) is invalid."""

_GROUPED = f"""
SELECT kind, outcome, dial_status, campaign_id, did, dtmf_inputs, transferred,
    COUNT(*) AS n,
    SUM(CASE WHEN outcome = 'connected' THEN talk ELSE 0 END) AS talk,
    {count_where(f"outcome = 'connected' AND talk < {call_window.SHORT_CALL_SECONDS}")} AS short,
    COUNT(wait) AS queued, COALESCE(SUM(wait), 0) AS wait,
    COUNT(ring) AS rung, COALESCE(SUM(ring), 0) AS ring
FROM per_call GROUP BY kind, outcome, dial_status, campaign_id, did, dtmf_inputs, transferred
"""

_NUMBERS = "SELECT COUNT(*), COUNT(DISTINCT customer_number) FROM stats_call_facts {where}"


@dataclass
class WindowTotals:
    """The window's counters, plus the sums the time Fields are made of."""

    counts: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_campaign: Counter[str] = field(default_factory=Counter)
    by_did: Counter[str] = field(default_factory=Counter)
    by_first_key: Counter[str] = field(default_factory=Counter)
    by_input: Counter[str] = field(default_factory=Counter)
    invalid_inputs: Counter[str] = field(default_factory=Counter)
    inputs_by_campaign: Counter[str] = field(default_factory=Counter)

    def add(self, row: Any) -> None:
        n, outcome = row["n"], row["outcome"]
        for name in ("talk", "short", "queued", "wait", "rung", "ring"):
            self.counts[name] += row[name]
        self.counts["TC"] += n
        self.counts[outcome] += n
        self.counts["TRSC"] += n if row["transferred"] else 0
        self.by_kind[KIND_CODE[CallKind(row["kind"])]] += n
        status = outcome if outcome in (PENDING, GHOST, DND) else row["dial_status"]
        self.by_status[STATUS_CODE.get(status, OTHER_STATUS)] += n
        if row["campaign_id"]:
            self.by_campaign[row["campaign_id"]] += n
        if row["did"]:
            self.by_did[row["did"]] += n
        if digits := row["dtmf_inputs"]:
            self.by_first_key[digits[0]] += n
            self.by_input[digits] += n
            self.inputs_by_campaign[row["campaign_id"] or ""] += n
            if INVALID_DTMF.search(digits):
                self.invalid_inputs[digits] += n


async def detail_rows(db: Database, account_id: str, query: CounterQuery) -> list[Any]:
    """The grouped rows computed from every call of the window (the definition)."""
    cte, params = call_window.per_call(account_id, query)
    return await db.fetchall(cte + _GROUPED, params)


async def rollup_rows(db: Database, account_id: str, query: CounterQuery) -> list[Any] | None:
    """The same rows from the rollup; None when the window is not on 15-minute bounds."""
    found = rollup.grouped(account_id, query)
    if found is None:
        return None
    rows = await db.fetchall(*found)
    return [{**dict(row), "campaign_id": rollup.campaign_of(row["campaign_key"])} for row in rows]


async def window_totals(
    db: Database, account_id: str, query: CounterQuery, numbers: bool = True
) -> WindowTotals:
    """The window's counters; ``numbers=False`` leaves freshCall/repeatCall to the
    per-number Fields query, which counts them on the way (fields.field_counters)."""
    rows = await rollup_rows(db, account_id, query)
    totals = WindowTotals()
    for row in rows if rows is not None else await detail_rows(db, account_id, query):
        totals.add(row)
    if not numbers:
        return totals
    where, params = rollup.window_where(account_id, query)
    sql = _NUMBERS.format(where=numbers_index(db.dialect) + "WHERE " + where)
    calls, distinct = await db.fetchone(sql, params) or (0, 0)
    totals.counts["fresh"] = distinct
    totals.counts["repeat"] = calls - distinct
    return totals


def base_counters(totals: WindowTotals) -> dict[str, Any]:
    """The seed's window keys, in the example's order (merged with the live keys later)."""
    counts = totals.counts
    return {
        "cBl": 0,
        "CT": dict(totals.by_kind),
        "CST": dict(sorted(totals.by_status.items())),
        "CMPID": dict(totals.by_campaign),
        "DID": dict(totals.by_did),
        "DTMF": dict(totals.by_first_key),
        "DTMFV": dict(totals.by_input),
        "DTMFI": dict(totals.inputs_by_campaign),
        "DTMFINV": dict(totals.invalid_inputs),
        "GHC": counts[GHOST],
        "FWC": counts["queued"],
        "TRSC": counts["TRSC"],
        "MC": counts["missed"],
        "ucBl": 0,
        "TC": counts["TC"],
        "repeatCall": counts["repeat"],
        "freshCall": counts["fresh"],
        "CHSR": counts["short"],
        "CNC": counts["connected"],
    }
