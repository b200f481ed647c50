"""``Ecounters``: the live counters and the window counters in one ``message`` object."""

from __future__ import annotations

from typing import Any

from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.stats.agents import AgentDashboard
from cpaas_daemon.stats.codes import NUMBER_FIELDS
from cpaas_daemon.stats.errors import PermissionDenied
from cpaas_daemon.stats.fields import field_counters
from cpaas_daemon.stats.history import base_counters, window_totals
from cpaas_daemon.stats.live import LiveCounters
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.store.db import Database

KEY_ORDER = (
    "LCT", "RCMPID", "RC", "LIVR", "LDID", "cBl", "CT", "CST", "CMPID", "DID", "DTMF",
    "DTMFV", "DTMFI", "DTMFINV", "GHC", "FWC", "TRSC", "MC", "ucBl", "TC", "repeatCall",
    "freshCall", "CHSR", "CNC",
)  # fmt: skip
"""The seed example's key order; requested Fields follow."""


class Ecounters:
    def __init__(self, db: Database, tracker: CallTracker, agents: AgentDashboard) -> None:
        self._db = db
        self._live = LiveCounters(db, tracker)
        self._agents = agents
        self.zone = agents.zone

    async def message(
        self, account_id: str, query: CounterQuery, ssid: str | None = None
    ) -> dict[str, Any]:
        """The counters; an agent's session (``ssid`` naming an agent) may not see them."""
        if ssid is not None and await self._agents.is_agent(account_id, ssid):
            raise PermissionDenied("the overall counters are not open to an agent session")
        live = await self._live.counters(account_id, query)
        per_number = any(name in NUMBER_FIELDS for name in query.fields)
        totals = await window_totals(self._db, account_id, query, numbers=not per_number)
        extra = await field_counters(self._db, account_id, query, totals)
        merged = {**live, **base_counters(totals)}
        return {**{key: merged[key] for key in KEY_ORDER}, **extra}
