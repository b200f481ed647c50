"""Queue configuration and member state (app_queue), loaded from a queues.conf file.

Holds what QueueStatus/QueueSummary report and what the Queue() application and the
QueueAdd/QueueRemove/QueuePause/QueuePenalty actions change. Member events carry the fields
app_queue's queue_member_blob builds, in its order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from cpaas_daemon.sim.protocol import Fields


@dataclass
class Member:
    """One queue member (``member =>`` in queues.conf or QueueAdd)."""

    interface: str
    name: str
    penalty: int = 0
    dynamic: bool = False
    paused: bool = False
    reason: str = ""
    in_call: bool = False
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = field(default_factory=lambda: int(time.time()))
    status: int = 1

    def fields(self, queue: str) -> Fields:
        """Body of QueueMemberStatus/Added/Removed/Pause/Penalty events."""
        return [
            ("Queue", queue),
            ("MemberName", self.name),
            ("Interface", self.interface),
            ("StateInterface", self.interface),
            ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]


@dataclass
class Queue:
    """One queue: its strategy, timers, members and the callers waiting in it."""

    name: str
    strategy: str = "ringall"
    timeout: float = 15.0
    retry: float = 5.0
    members: list[Member] = field(default_factory=list)
    callers: list[object] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0
    talktime: int = 0
    last_member: int = -1

    def member(self, interface: str) -> Member | None:
        """Member by interface."""
        return next((m for m in self.members if m.interface == interface), None)

    def pick(self) -> list[Member]:
        """Members to ring now: all free ones (ringall) or the next free one (rrmemory)."""
        free = [m for m in self.members if not m.paused and not m.in_call]
        if self.strategy != "rrmemory" or not free:
            return free
        for offset in range(1, len(self.members) + 1):
            index = (self.last_member + offset) % len(self.members)
            if self.members[index] in free:
                self.last_member = index
                return [self.members[index]]
        return []


class QueueSet(dict[str, Queue]):
    """All queues by name."""

    @classmethod
    def load(cls, path: Path | None) -> QueueSet:
        """Parse queues.conf (``[name]`` sections, ``key = value``, ``member => if,pen,name``)."""
        queues = cls()
        if path is None:
            return queues
        current: Queue | None = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split(";", 1)[0].strip()
            if line.startswith("["):
                name = line[1 : line.index("]")]
                current = None if name == "general" else queues.setdefault(name, Queue(name))
            elif current is not None and "=" in line:
                key, _, value = line.partition("=")
                _apply(current, key.strip(), value.lstrip(">").strip())
        return queues


def _apply(queue: Queue, key: str, value: str) -> None:
    if key == "member":
        parts = [part.strip() for part in value.split(",")] + ["", ""]
        penalty = int(parts[1]) if parts[1].isdigit() else 0
        queue.members.append(Member(parts[0], parts[2] or parts[0], penalty))
    elif key == "strategy":
        queue.strategy = value
    elif key in ("timeout", "retry"):
        setattr(queue, key, float(value))
