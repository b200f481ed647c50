"""Counters of calls up right now: LCT, RC, RCMPID, LIVR, LDID.

The tracker knows which calls are live and their kind; the campaign and DID of those few
calls come from their ``calls`` rows, and whether an inbound call is still waiting in a
queue from ``queue_calls`` (queue_log's callid is the Uniqueid of a live channel).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.stats.codes import LIVE_TYPE
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.stats.scope import placeholders
from cpaas_daemon.store.db import Database


@dataclass
class _LiveCall:
    kind: CallKind
    uniqueids: list[str] = field(default_factory=list)
    campaign_id: str | None = None
    did: str = ""


class LiveCounters:
    def __init__(self, db: Database, tracker: CallTracker) -> None:
        self._db = db
        self._tracker = tracker

    def _calls(self, account_id: str, query: CounterQuery) -> dict[str, _LiveCall]:
        """This account's live calls (request_id -> call), narrowed by the callType filter."""
        calls: dict[str, _LiveCall] = {}
        for channel in self._tracker.live_channels():
            info = self._tracker.request_of(channel)
            if info is None or info.account_id != account_id:
                continue
            if query.kinds is not None and info.kind not in query.kinds:
                continue
            calls.setdefault(info.request_id, _LiveCall(info.kind)).uniqueids.append(
                channel.uniqueid
            )
        return calls

    async def _describe(self, account_id: str, calls: dict[str, _LiveCall]) -> None:
        ids = tuple(calls)
        rows = await self._db.fetchall(
            "SELECT request_id, campaign_id, dialed_number FROM call_records"
            f" WHERE account_id = ? AND request_id IN ({placeholders(ids)})",
            (account_id, *ids),
        )
        for row in rows:
            calls[row["request_id"]].campaign_id = row["campaign_id"]
            calls[row["request_id"]].did = row["dialed_number"]

    async def _waiting(self, calls: list[_LiveCall]) -> Counter[str]:
        """Queue -> inbound calls waiting there (entered, no agent yet)."""
        uniqueids = tuple(uid for call in calls for uid in call.uniqueids)
        if not uniqueids:
            return Counter()
        rows = await self._db.fetchall(
            "SELECT queue, COUNT(DISTINCT callid) FROM queue_call_records"
            f" WHERE callid IN ({placeholders(uniqueids)}) AND status IN ('pending', 'waiting')"
            " GROUP BY queue",
            uniqueids,
        )
        return Counter({row[0]: row[1] for row in rows})

    async def counters(self, account_id: str, query: CounterQuery) -> dict[str, Any]:
        calls = self._calls(account_id, query)
        if calls:
            await self._describe(account_id, calls)
        if query.campaigns is not None:
            calls = {rid: c for rid, c in calls.items() if c.campaign_id in query.campaigns}
        by_campaign = Counter(c.campaign_id for c in calls.values() if c.campaign_id)
        inbound = [c for c in calls.values() if c.kind is CallKind.INBOUND]
        return {
            "LCT": dict(Counter(LIVE_TYPE[c.kind] for c in calls.values())),
            "RCMPID": dict(by_campaign),
            "RC": sum(by_campaign.values()),
            "LIVR": dict(await self._waiting(inbound)),
            "LDID": dict(Counter(c.did for c in inbound if c.did)),
        }
