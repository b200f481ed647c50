"""The wallboard's picture of the call centre at one moment, and what each user may see.

One :class:`Board` is built per refresh for everybody (one QueueStatus round-trip and a
few small queries, however many screens are open); each stream then narrows it to its
user's queues with :meth:`Board.visible_to`. Queue figures are reshaped from the same
realtime document as Asternic's ``/stats/`` ``realtime`` entity, so the wallboard and the
stats API never disagree about a queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cpaas_daemon.queue_log.filters import Scope

Tile = dict[str, Any]


@dataclass(frozen=True)
class Board:
    """Everything the page shows. ``queues`` is ``None`` while the PBX cannot be asked
    (it is down), so the page can say so."""

    at: float  # epoch seconds when the board was built
    queues: tuple[Tile, ...] | None
    live_calls: Mapping[str, int]
    channels: int
    campaigns: tuple[Tile, ...]

    def visible_to(self, scope: Scope) -> dict[str, Any]:
        """The JSON document for one user. Live calls and campaigns span every account,
        so only users allowed every queue (``*``) see them; others get their queues."""
        queues = None
        if self.queues is not None:
            queues = [queue for queue in self.queues if scope.allows(queue["name"])]
        everything = scope.queues is None
        return {
            "at": self.at,
            "pbx": "down" if queues is None else "up",
            "totals": totals(queues or []),
            "queues": queues,
            "live_calls": self._live_calls() if everything else None,
            "campaigns": self._campaigns() if everything else None,
            "restricted": not everything,
        }

    def _live_calls(self) -> dict[str, Any]:
        return {
            "total": sum(self.live_calls.values()),
            "channels": self.channels,
            "by_kind": dict(self.live_calls),
        }

    def _campaigns(self) -> list[Tile]:
        return list(self.campaigns)


def totals(queues: list[Tile]) -> dict[str, int]:
    """The headline figures across the queues a user sees."""
    agents = [agent for queue in queues for agent in queue["agents"]]
    return {
        "waiting": sum(queue["waiting"] for queue in queues),
        "longest_wait": max((queue["longest_wait"] for queue in queues), default=0),
        "answered": sum(queue["answered"] for queue in queues),
        "abandoned": sum(queue["abandoned"] for queue in queues),
        "agents": len(agents),
        "in_call": sum(agent["in_call"] for agent in agents),
        "paused": sum(agent["paused"] for agent in agents),
    }


def queue_tiles(realtime: Mapping[str, Any]) -> tuple[Tile, ...]:
    """Asternic's realtime document (``queue_log.realtime``), one tile per queue by name."""
    summaries: Mapping[str, Mapping[str, Any]] = realtime["summary"]["queue"]
    return tuple(
        _tile(
            name,
            summaries[name],
            realtime["waiting calls"].get(name, {}),
            realtime["agents"].get(name, {}),
        )
        for name in sorted(summaries)
    )


def _tile(
    name: str,
    summary: Mapping[str, Any],
    waiting: Mapping[str, Mapping[str, str]],
    agents: Mapping[str, Mapping[str, str]],
) -> Tile:
    return {
        "name": name,
        "waiting": summary["Waiting"],
        "longest_wait": summary["Max. wait time"],
        "answered": summary["Answered"],
        "unanswered": summary["Unanswered"],
        "abandoned": summary["Abandoned"],
        "abandon_rate": float(summary["Abandon Rate"]),
        "avg_wait": summary["Avg Wait"],
        "avg_talk": summary["Avg Duration"],
        "callers": sorted(
            (
                {
                    "position": int(position),
                    "number": entry["calleridNum"],
                    "name": entry["calleridName"],
                    "wait": int(entry["waitTime"] or 0),
                }
                for position, entry in waiting.items()
            ),
            key=lambda caller: caller["position"],
        ),
        "agents": [
            {
                "name": agent_name,
                "interface": agent["interface"],
                "status": agent["status"],
                "paused": agent["paused"] == "1",
                "paused_reason": agent["pausedReason"],
                "in_call": agent["inCall"] == "1",
                "calls_taken": int(agent["callsTaken"] or 0),
            }
            for agent_name, agent in agents.items()
        ],
    }
