"""CLI commands reachable through the AMI ``Command`` action.

Output lines mimic Asterisk 22's CLI text for the commands the traces use.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cpaas_daemon.sim.events import STATE_DESC

if TYPE_CHECKING:
    from cpaas_daemon.sim.server import SimulatedAsterisk

VERSION = "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 15:54:06 UTC"


def _queue_show(sim: SimulatedAsterisk, name: str) -> list[str]:
    queue = sim.core.queues.get(name)
    if queue is None:
        return [f"No such queue: '{name}'."]
    now = int(time.time())
    lines = [
        f"{queue.name} has {len(queue.callers)} calls (max unlimited) "
        f"in '{queue.strategy}' strategy "
        f"({queue.holdtime}s holdtime, {queue.talktime}s talktime), W:0, C:{queue.completed}, "
        f"A:{queue.abandoned}, SL:100.0%, SL2:100.0% within 0s",
        "   Members: ",
    ]
    for member in queue.members:
        state = "In use" if member.in_call else "Not in use"
        paused = f" (paused:{member.reason})" if member.paused else ""
        last = f"(last was {now - member.last_call} secs ago) " if member.last_call else ""
        lines.append(
            f"      {member.name} ({member.interface}) (ringinuse disabled){paused} ({state}) "
            f"has taken {member.calls_taken} calls {last}"
            f"(login was {now - member.login_time} secs ago)"
        )
    lines.append("   No Callers" if not queue.callers else "   Callers: ")
    return [*lines, "", ""]


def _core_show_channels(sim: SimulatedAsterisk) -> list[str]:
    header = f"{'Channel':<64} {'Location':<32} {'State':<7} {'Application(Data)':<30}"
    lines = [header]
    for chan in sim.core.channels.values():
        app = f"{chan.cdr.lastapp}({chan.cdr.lastdata})" if chan.cdr else "AppDial((Outgoing Line))"
        location = f"{chan.exten}@{chan.context}:{chan.priority}"
        lines.append(f"{chan.name:<64} {location:<32} {STATE_DESC[chan.state]:<7} {app:<30}")
    count = len(sim.core.channels)
    return [
        *lines,
        f"{count} active channels",
        f"{count // 2} active calls",
        f"{sim.calls_processed} calls processed",
    ]


async def run_command(sim: SimulatedAsterisk, text: str) -> list[str] | None:
    """Run one CLI command; its output lines."""
    words = text.split()
    if words[:3] == ["core", "show", "version"]:
        return [VERSION]
    if words[:2] == ["queue", "show"] and len(words) > 2:
        return _queue_show(sim, words[2])
    if words[:3] == ["core", "show", "channels"]:
        return _core_show_channels(sim)
    if words[:2] == ["logger", "rotate"]:
        sim.logger_rotate()
        return []
    if words[:3] == ["core", "restart", "now"]:
        sim.schedule_restart()
        return []
    if words[:2] == ["module", "reload"]:
        sim.core.bus.emit(
            "Reload", "system", [("Module", words[2] if len(words) > 2 else "all"), ("Status", "0")]
        )
        return []
    return [
        f"No such command '{text}' "
        f"(type 'core show help {words[0] if words else ''}' for other possible commands)"
    ]
