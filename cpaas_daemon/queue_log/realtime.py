"""Asternic's ``realtime`` entity: live queue state from AMI plus today's figures.

Waiting callers, members and their states come from one ``QueueStatus`` list action
(QueueParams / QueueMember / QueueEntry events), sent to every healthy PBX: a queue
served by several PBXs shows all its members and callers. Callers are keyed by their
position, as Asterisk numbers them; when two PBXs each have a position 1 in one queue,
the queue's callers are renumbered 1..n, longest waiting first (what one queue spanning
the PBXs would have shown). Answered, unanswered, abandoned and the
averages are "current day statistics" in Asternic's words, so they come from today's
``queue_calls`` rows (in the reporting zone) rather than from Asterisk's counters,
which restart with the PBX.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cpaas_daemon.ami import actions
from cpaas_daemon.pbx.pool import PbxPool
from cpaas_daemon.queue_log.filters import Scope
from cpaas_daemon.queue_log.reports import percent
from cpaas_daemon.store.db import Database

Event = Mapping[str, str]
Snapshot = dict[str, Any]

# QueueMember "Status" is an ast_device_state number.
MEMBER_STATES = {
    "0": "Unknown",
    "1": "Not in use",
    "2": "In use",
    "3": "Busy",
    "4": "Invalid",
    "5": "Unavailable",
    "6": "Ringing",
    "7": "Ring in use",
    "8": "On hold",
}
_BUSY_STATES = {"2", "3", "7", "8"}
_LOGGED_OFF_STATES = {"4", "5"}
_NO_DAY = {"answered": 0, "unanswered": 0, "abandoned": 0, "avg_wait": 0, "avg_talk": 0}


def _summary(
    members: list[Event], entries: list[Event], day: Mapping[str, int]
) -> dict[str, int | str]:
    answered, unanswered = day["answered"], day["unanswered"]
    return {
        "Waiting": len(entries),
        "Agents": len(members),
        "Penalty": sum(1 for m in members if m.get("Penalty", "0") not in ("", "0")),
        "Logged Off": sum(1 for m in members if m.get("Status") in _LOGGED_OFF_STATES),
        "Busy": sum(
            1 for m in members if m.get("InCall") == "1" or m.get("Status") in _BUSY_STATES
        ),
        "Paused": sum(1 for m in members if m.get("Paused") == "1"),
        "Answered": answered,
        "Unanswered": unanswered,
        "Abandoned": day["abandoned"],
        "Abandon Rate": percent(day["abandoned"], answered + unanswered),
        "Avg Wait": day["avg_wait"],
        "Avg Duration": day["avg_talk"],
        "Max. wait time": max((int(e.get("Wait", "0") or 0) for e in entries), default=0),
    }


def _positioned(entries: list[Event]) -> list[tuple[str, Event]]:
    """Each caller with its position: Asterisk's, unless several PBXs' callers share one
    (then 1..n by longest wait)."""
    positions = [entry.get("Position", str(index)) for index, entry in enumerate(entries, 1)]
    if len(set(positions)) == len(positions):
        return list(zip(positions, entries, strict=True))
    longest_first = sorted(entries, key=lambda entry: -int(entry.get("Wait", "0") or 0))
    return [(str(index), entry) for index, entry in enumerate(longest_first, 1)]


def realtime_view(
    events: Iterable[Event], today: Mapping[str, Mapping[str, int]], scope: Scope
) -> Snapshot:
    """Shape QueueStatus events into Asternic's realtime document (values as native types)."""
    queues: dict[str, tuple[list[Event], list[Event]]] = {}
    for event in events:
        name = event.get("Queue", "")
        kind = event.get("Event")
        if kind not in ("QueueParams", "QueueMember", "QueueEntry") or not scope.allows(name):
            continue
        members, entries = queues.setdefault(name, ([], []))
        if kind == "QueueMember":
            members.append(event)
        elif kind == "QueueEntry":
            entries.append(event)
    waiting, summary, agents = {}, {}, {}
    for name, (members, entries) in queues.items():
        waiting[name] = {
            position: {
                "calleridNum": entry.get("CallerIDNum", ""),
                "calleridName": entry.get("CallerIDName", ""),
                "waitTime": entry.get("Wait", "0"),
            }
            for position, entry in _positioned(entries)
        }
        summary[name] = _summary(members, entries, today.get(name, _NO_DAY))
        agents[name] = {
            member.get("Name", ""): {
                "interface": member.get("Location", ""),
                "status": MEMBER_STATES.get(member.get("Status", "0"), "Unknown"),
                "paused": member.get("Paused", "0"),
                "pausedReason": member.get("PausedReason", ""),
                "penalty": member.get("Penalty", "0"),
                "callsTaken": member.get("CallsTaken", "0"),
                "lastCall": member.get("LastCall", "0"),
                "inCall": member.get("InCall", "0"),
            }
            for member in members
        }
    return {"waiting calls": waiting, "summary": {"queue": summary}, "agents": agents}


class Realtime:
    def __init__(self, ami: PbxPool, db: Database, tz: ZoneInfo | None = None) -> None:
        self._ami = ami
        self._db = db
        self._tz = tz or ZoneInfo("UTC")

    async def snapshot(self, scope: Scope) -> Snapshot:
        """Raises AmiUnavailable when no PBX answers (the API renders it as a 503)."""
        events = await self._ami.send_list_everywhere(actions.queue_status())
        return realtime_view(events, await self._today(), scope)

    async def _today(self) -> dict[str, dict[str, int]]:
        midnight = datetime.now(self._tz).replace(hour=0, minute=0, second=0, microsecond=0)
        rows = await self._db.fetchall(
            "SELECT queue, SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END) AS answered,"
            " SUM(CASE WHEN status = 'unanswered' THEN 1 ELSE 0 END) AS unanswered,"
            " SUM(CASE WHEN event = 'ABANDON' THEN 1 ELSE 0 END) AS abandoned,"
            " CAST(ROUND(AVG(wait)) AS INTEGER) AS avg_wait,"
            " CAST(ROUND(AVG(CASE WHEN status = 'answered' THEN talk END)) AS INTEGER) AS avg_talk"
            " FROM queue_calls WHERE enter_epoch >= ? AND status IN ('answered', 'unanswered')"
            " GROUP BY queue",
            (int(midnight.timestamp()),),
        )
        return {row["queue"]: {key: row[key] or 0 for key in _NO_DAY} for row in rows}
