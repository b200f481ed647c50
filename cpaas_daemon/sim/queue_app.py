"""The Queue() application: caller waits on hold while members are rung per strategy.

Event and queue_log sequences follow the queue_call_* traces: ENTERQUEUE, AgentCalled +
DialBegin per member, AgentRingNoAnswer + RINGNOANSWER then DialEnd NOANSWER/CANCEL on a member
timeout, then ``retry`` seconds before ringing again; CONNECT/AgentConnect on answer and
COMPLETEAGENT/COMPLETECALLER when the bridge ends; ABANDON when the caller hangs up first.
Times in queue_log and the Agent*/Queue* events are simulated seconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from cpaas_daemon.sim.cdr import close_attempt
from cpaas_daemon.sim.channel import Channel, wait_indication
from cpaas_daemon.sim.dial import bridge_call, dial_begin, dial_event, place_call
from cpaas_daemon.sim.events import channel_fields
from cpaas_daemon.sim.pbx import application, newexten, start_pbx
from cpaas_daemon.sim.queues import Member, Queue


@dataclass(eq=False)
class Entry:
    """A caller waiting in a queue (QueueEntry in QueueStatus)."""

    chan: Channel
    queue: Queue
    position: int
    joined: float = field(default_factory=time.time)

    def waited(self) -> int:
        """Simulated seconds since the caller joined."""
        return int((time.time() - self.joined) / self.chan.core.scale)


def _agent_event(
    event: str, entry: Entry, member: Member, callee: Channel, extra: list[tuple[str, str]]
) -> None:
    # Once the caller hangs up its snapshot is no longer part of the event (AgentComplete).
    caller = [] if entry.chan.soft_hangup or entry.chan.gone else channel_fields(entry.chan)
    entry.chan.core.bus.emit(
        event,
        "agent",
        [
            *caller,
            *channel_fields(callee, "Dest"),
            ("Queue", entry.queue.name),
            ("Interface", member.interface),
            ("MemberName", member.name),
            *extra,
        ],
    )


def _member_status(entry: Entry, member: Member) -> None:
    entry.chan.core.bus.emit("QueueMemberStatus", "agent", member.fields(entry.queue.name))


def _log(entry: Entry, agent: str, event: str, *data: str) -> None:
    entry.chan.core.queue_log.write(entry.chan.uniqueid, entry.queue.name, agent, event, *data)


def _leave(entry: Entry) -> None:
    entry.queue.callers.remove(entry)
    entry.chan.event(
        "QueueCallerLeave",
        [
            ("Queue", entry.queue.name),
            ("Position", str(entry.position)),
            ("Count", str(len(entry.queue.callers))),
        ],
        cls="agent",
    )


@application("Queue")
async def queue_app(chan: Channel, data: str) -> bool:
    """Queue(name[,options[,URL[,announce[,timeout]]]])."""
    args = [part.strip() for part in data.split(",")] + [""] * 5
    queue = chan.core.queues.get(args[0])
    if queue is None:
        chan.set_var("QUEUESTATUS", "UNKNOWN")
        return True
    entry = Entry(chan, queue, len(queue.callers) + 1)
    queue.callers.append(entry)
    chan.event(
        "QueueCallerJoin",
        [
            ("Queue", queue.name),
            ("Position", str(entry.position)),
            ("Count", str(len(queue.callers))),
        ],
        cls="agent",
    )
    _log(entry, "NONE", "ENTERQUEUE", "", chan.cid_num, str(entry.position))
    chan.event("MusicOnHoldStart", [("Class", "default")])
    limit = float(args[4]) if args[4].isdigit() else None
    deadline = None if limit is None else time.time() + limit * chan.core.scale
    while not chan.stopped:
        if deadline is not None and time.time() >= deadline:
            chan.event("MusicOnHoldStop")
            _leave(entry)
            _log(entry, "NONE", "EXITWITHTIMEOUT", str(entry.position), "1", str(entry.waited()))
            chan.set_var("QUEUESTATUS", "TIMEOUT")
            return True
        connected = await _ring_round(entry, deadline)
        if connected is not None:
            return await _connect(entry, *connected)
        if not chan.stopped:
            await chan.sleep(queue.retry)
    chan.event("MusicOnHoldStop")
    queue.abandoned += 1
    chan.event(
        "QueueCallerAbandon",
        [
            ("Queue", queue.name),
            ("Position", str(entry.position)),
            ("OriginalPosition", str(entry.position)),
            ("HoldTime", str(entry.waited())),
        ],
        cls="agent",
    )
    _leave(entry)
    _log(entry, "NONE", "ABANDON", str(entry.position), str(entry.position), str(entry.waited()))
    return False


async def _ring_round(entry: Entry, deadline: float | None) -> tuple[Member, Channel, float] | None:
    """Ring the picked members once; the (member, callee, ring start) that answered, if any."""
    chan, queue = entry.chan, entry.queue
    indications: asyncio.Queue[tuple[Channel, str]] = asyncio.Queue()
    ringing: dict[Channel, Member] = {}
    for member in queue.pick():
        pair = place_call(chan, member.interface, "AppQueue", indications)
        if pair is None:
            continue
        _agent_event("AgentCalled", entry, member, pair[0], [])
        dial_begin(chan, pair[0], member.interface)
        start_pbx(pair[1])
        ringing[pair[0]] = member
    started = time.time()
    end = started + queue.timeout * chan.core.scale
    if deadline is not None:
        end = min(end, deadline)
    while ringing:
        got = await wait_indication(indications, chan, max(end - time.time(), 0))
        if got is None or got[1] == "stopped":
            _give_up(entry, ringing, started, timed_out=got is None)
            return None
        callee, what = got
        if callee not in ringing:
            continue
        if what == "ringing":
            newexten(callee, "AppQueue", "(Outgoing Line)")
            dial_event("DialState", chan, callee, "RINGING")
            _member_status(entry, ringing[callee])
        elif what == "answer":
            member = ringing.pop(callee)
            for other in ringing:
                dial_event("DialEnd", chan, other, "CANCEL")
                other.hangup(0)
            return member, callee, started
        else:
            ringing.pop(callee)
            dial_event("DialEnd", chan, callee, "BUSY")
            close_attempt(chan, callee.name, "BUSY")
            callee.hangup(0)
    return None


def _give_up(
    entry: Entry, ringing: dict[Channel, Member], started: float, *, timed_out: bool
) -> None:
    """Member ring timeout (RINGNOANSWER) or caller gone (RINGCANCELED): drop every callee."""
    ms = str(int((time.time() - started) / entry.chan.core.scale * 1000))
    for callee, member in ringing.items():
        if timed_out:
            _agent_event("AgentRingNoAnswer", entry, member, callee, [("RingTime", ms)])
            _log(entry, member.name, "RINGNOANSWER", ms)
        else:
            _log(entry, member.name, "RINGCANCELED", ms)
    for callee in ringing:
        dial_event("DialEnd", entry.chan, callee, "NOANSWER" if timed_out else "CANCEL")
    for callee, member in ringing.items():
        dial_event("DialEnd", entry.chan, callee, "CANCEL")
        close_attempt(entry.chan, callee.name, "NOANSWER")
        callee.hangup(0)
        _member_status(entry, member)


async def _connect(entry: Entry, member: Member, callee: Channel, ring_start: float) -> bool:
    """Answered: CONNECT, bridge, then COMPLETEAGENT/COMPLETECALLER."""
    chan, queue = entry.chan, entry.queue
    newexten(callee, "AppQueue", "(Outgoing Line)")
    dial_event("DialEnd", chan, callee, "ANSWER")
    chan.event("MusicOnHoldStop")
    hold = entry.waited()
    ring = int((time.time() - ring_start) / chan.core.scale)
    _leave(entry)
    _agent_event(
        "AgentConnect", entry, member, callee, [("HoldTime", str(hold)), ("RingTime", str(ring))]
    )
    _log(entry, member.name, "CONNECT", str(hold), callee.uniqueid, str(ring))
    if chan.cdr is not None:
        chan.cdr.dstchannel = callee.name
    member.in_call = True
    _member_status(entry, member)
    talk_start = time.time()
    agent_left = await bridge_call(chan, callee, "AppQueue")
    talk = str(int((time.time() - talk_start) / chan.core.scale))
    member.in_call, member.calls_taken, member.last_call = (
        False,
        member.calls_taken + 1,
        int(time.time()),
    )
    queue.completed += 1
    reason = "agent" if agent_left else "caller"
    _agent_event(
        "AgentComplete",
        entry,
        member,
        callee,
        [("HoldTime", str(hold)), ("TalkTime", talk), ("Reason", reason)],
    )
    _log(
        entry,
        member.name,
        "COMPLETEAGENT" if agent_left else "COMPLETECALLER",
        str(hold),
        talk,
        str(entry.position),
    )
    _member_status(entry, member)
    return chan.redirect_to is not None
