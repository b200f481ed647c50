"""Agent dashboard counters: per-agent calls, talk and hold time, login type and duration.

Agents are the queue members seen in the account's queues (``queue_agents``, the read
model the queue_log ingest publishes); their call counters read the window's lines of
those queues (``queue_log_lines``), their login state replays all membership lines.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.queue_log.parser import ANSWERED_END
from cpaas_daemon.stats.agent_login import (
    MEMBERSHIP_EVENTS,
    LoginState,
    MemberLine,
    agent_key,
    duration,
    replay,
)
from cpaas_daemon.stats.codes import LIVE_TYPE
from cpaas_daemon.stats.errors import AgentNotFound, AgentNotLoggedIn
from cpaas_daemon.stats.member_names import MemberNames
from cpaas_daemon.stats.scope import account_queues, placeholders
from cpaas_daemon.stats.window import Window
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.dialect import count_where

_ENDS = ", ".join(f"'{event}'" for event in sorted(ANSWERED_END))
_MEMBERSHIP = ", ".join(f"'{event}'" for event in sorted(MEMBERSHIP_EVENTS))

_CALLS = f"""SELECT agent, queue,
    COUNT(DISTINCT CASE WHEN event IN ('CONNECT', 'RINGNOANSWER', 'RINGCANCELED')
        THEN callid END) AS offered,
    {count_where("event = 'CONNECT'")} AS answered,
    COALESCE(SUM(CASE WHEN event = 'CONNECT' THEN wait END), 0) AS hold,
    COALESCE(MAX(CASE WHEN event = 'CONNECT' THEN wait END), 0) AS max_hold,
    COALESCE(SUM(CASE WHEN event IN ({_ENDS}) THEN talk END), 0) AS talk,
    {count_where(f"event IN ({_ENDS})")} AS completed
FROM queue_log_lines WHERE queue IN ({{queues}}) AND epoch >= ? AND epoch < ?
GROUP BY agent, queue"""


@dataclass(frozen=True)
class Agent:
    agent_id: int
    name: str


class AgentDashboard:
    def __init__(self, db: Database, zone: ZoneInfo, members: MemberNames | None = None) -> None:
        self._db = db
        self.zone = zone
        self.members = members or MemberNames()

    async def agents(self, account_id: str) -> tuple[list[Agent], tuple[str, ...]]:
        """The account's agents (by id) and queues."""
        queues = await account_queues(self._db, account_id)
        if not queues:
            return [], queues
        rows = await self._db.fetchall(
            "SELECT DISTINCT agent_id, agent_name FROM queue_agents"
            f" WHERE queue_name IN ({placeholders(queues)}) ORDER BY agent_id",
            queues,
        )
        return [Agent(row[0], row[1]) for row in rows], queues

    async def is_agent(self, account_id: str, ssid: str) -> bool:
        agents, _ = await self.agents(account_id)
        return bool(_named(agents, ssid))

    async def _logins(self, agents: list[Agent], queues: tuple[str, ...]) -> dict[str, LoginState]:
        rows = await self._db.fetchall(
            "SELECT epoch, queue, agent, event FROM queue_log_lines"
            f" WHERE event IN ({_MEMBERSHIP})"
            f" AND (queue IN ({placeholders(queues)}) OR queue = 'NONE') ORDER BY epoch, id",
            queues,
        )
        lines = (MemberLine(row[0], row[1], row[2], row[3]) for row in rows)
        keys = {agent_key(agent.name) for agent in agents}
        return replay(lines, keys, self.members.name_of)

    async def _calls(self, queues: tuple[str, ...], window: Window) -> dict[str, dict[str, Any]]:
        """Agent name -> its counters over the window, summed over queues."""
        rows = await self._db.fetchall(
            _CALLS.format(queues=placeholders(queues)),
            (*queues, window.start_epoch, window.end_epoch),
        )
        found: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            agent = found[row["agent"]]
            for name in ("offered", "answered", "hold", "talk", "completed"):
                agent[name] += row[name]
            agent["max_hold"] = max(agent["max_hold"], row["max_hold"])
            if row["answered"]:
                agent.setdefault("queues", {})[row["queue"]] = row["answered"]
        return found

    async def counters(
        self,
        account_id: str,
        ssid: str | None = None,
        window: Window | None = None,
        now: int | None = None,
    ) -> list[dict[str, Any]]:
        """Every agent of the account, or the one ``ssid`` names (which must be logged in).

        The window defaults to today in the reporting zone, ``now`` (for session length)
        to the clock; tests pin both.
        """
        window = window or Window.today(self.zone)
        now = int(time.time()) if now is None else now
        agents, queues = await self.agents(account_id)
        if ssid is not None:
            agents = _named(agents, ssid)
            if not agents:
                raise AgentNotFound(f"agent {ssid!r} does not exist")
        if not agents:
            return []
        logins = await self._logins(agents, queues)
        if ssid is not None and not logins[agent_key(agents[0].name)].logged_in:
            raise AgentNotLoggedIn(f"agent {ssid!r} is not logged in")
        calls = await self._calls(queues, window)
        return [
            _agent_json(a, calls.get(a.name, {}), logins[agent_key(a.name)], now) for a in agents
        ]


def _named(agents: list[Agent], ssid: str) -> list[Agent]:
    """The agent an ``ssid`` names, by its id (the ``I`` key) or its member name."""
    return [agent for agent in agents if ssid in (str(agent.agent_id), agent.name)]


def _agent_json(agent: Agent, calls: dict[str, Any], login: LoginState, now: int) -> dict[str, Any]:
    """One agent in the seed's shape and key order."""
    answered, completed = calls.get("answered", 0), calls.get("completed", 0)
    talk = calls.get("talk", 0)
    started = login.session_start
    return {
        "TH": talk,
        "MH": calls.get("max_hold", 0),
        "aTT": talk // completed if completed else 0,
        "C": answered,
        "tC": calls.get("offered", 0),
        "HT": calls.get("hold", 0),
        "callType": {LIVE_TYPE[CallKind.INBOUND]: answered} if answered else {},
        "cmpId": dict(calls.get("queues", {})),
        "I": str(agent.agent_id),
        "l": {
            "type": login.session_type,
            "duration": duration(now - started if started is not None else 0),
        },
        "ml": "Yes" if login.multi_queue else "No",
        "ATT": login.available,
    }
