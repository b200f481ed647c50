"""Queue AMI actions: QueueStatus, QueueSummary, QueueAdd/Remove/Pause/Penalty, QueueLog.

List events carry no Privilege and put the ActionID **last**, unlike CoreShowChannel.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cpaas_daemon.sim.actions import error, handler, list_start, response
from cpaas_daemon.sim.protocol import Action, Fields, header
from cpaas_daemon.sim.queue_app import Entry
from cpaas_daemon.sim.queues import Member, Queue
from cpaas_daemon.sim.session import Session

if TYPE_CHECKING:
    from cpaas_daemon.sim.server import SimulatedAsterisk


def _selected(sim: SimulatedAsterisk, action: Action) -> list[Queue]:
    name = header(action, "Queue")
    return [q for q in sim.core.queues.values() if not name or q.name == name]


def _tail(action: Action) -> Fields:
    action_id = header(action, "ActionID")
    return [("ActionID", action_id)] if action_id else []


def _params(queue: Queue) -> Fields:
    perf = "100.0" if queue.completed else "0.0"
    return [
        ("Event", "QueueParams"),
        ("Queue", queue.name),
        ("Max", "0"),
        ("Strategy", queue.strategy),
        ("Calls", str(len(queue.callers))),
        ("Holdtime", str(queue.holdtime)),
        ("TalkTime", str(queue.talktime)),
        ("Completed", str(queue.completed)),
        ("Abandoned", str(queue.abandoned)),
        ("ServiceLevel", "0"),
        ("ServicelevelPerf", perf),
        ("ServicelevelPerf2", perf),
        ("Weight", "0"),
    ]


def _member(queue: Queue, member: Member) -> Fields:
    return [
        ("Event", "QueueMember"),
        ("Queue", queue.name),
        ("Name", member.name),
        ("Location", member.interface),
        ("StateInterface", member.interface),
        ("Membership", "dynamic" if member.dynamic else "static"),
        ("Penalty", str(member.penalty)),
        ("CallsTaken", str(member.calls_taken)),
        ("LastCall", str(member.last_call)),
        ("LastPause", str(member.last_pause)),
        ("LoginTime", str(member.login_time)),
        ("InCall", "1" if member.in_call else "0"),
        ("Status", str(member.status)),
        ("Paused", "1" if member.paused else "0"),
        ("PausedReason", member.reason),
        ("Wrapuptime", "0"),
    ]


def _entry(queue: Queue, entry: Entry) -> Fields:
    chan = entry.chan
    return [
        ("Event", "QueueEntry"),
        ("Queue", queue.name),
        ("Position", str(entry.position)),
        ("Channel", chan.name),
        ("Uniqueid", chan.uniqueid),
        ("CallerIDNum", chan.cid_num or "<unknown>"),
        ("CallerIDName", chan.cid_name or "<unknown>"),
        ("ConnectedLineNum", chan.conn_num or "<unknown>"),
        ("ConnectedLineName", chan.conn_name or "<unknown>"),
        ("Wait", str(entry.waited())),
        ("Priority", "0"),
    ]


@handler("QueueStatus")
async def queue_status(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """QueueParams, QueueMember and QueueEntry per queue, then QueueStatusComplete."""
    session.send(list_start(action, "Queue status will follow"))
    items = 0
    for queue in _selected(sim, action):
        frames = [_params(queue), *(_member(queue, m) for m in queue.members)]
        frames += [_entry(queue, e) for e in queue.callers if isinstance(e, Entry)]
        for frame in frames:
            session.send(frame + _tail(action))
        items += len(frames)
    session.send(
        [
            ("Event", "QueueStatusComplete"),
            *_tail(action),
            ("EventList", "Complete"),
            ("ListItems", str(items)),
        ]
    )
    return None


@handler("QueueSummary")
async def queue_summary(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """One QueueSummary per queue, then QueueSummaryComplete."""
    session.send(list_start(action, "Queue summary will follow"))
    queues = _selected(sim, action)
    for queue in queues:
        free = [m for m in queue.members if not m.paused and not m.in_call and m.status == 1]
        longest = max((e.waited() for e in queue.callers if isinstance(e, Entry)), default=0)
        session.send(
            [
                ("Event", "QueueSummary"),
                ("Queue", queue.name),
                ("LoggedIn", str(len(queue.members))),
                ("Available", str(len(free))),
                ("Callers", str(len(queue.callers))),
                ("HoldTime", str(queue.holdtime)),
                ("TalkTime", str(queue.talktime)),
                ("LongestHoldTime", str(longest)),
                *_tail(action),
            ]
        )
    session.send(
        [
            ("Event", "QueueSummaryComplete"),
            *_tail(action),
            ("EventList", "Complete"),
            ("ListItems", str(len(queues))),
        ]
    )
    return None


def _member_event(sim: SimulatedAsterisk, event: str, queue: Queue, member: Member) -> None:
    sim.core.bus.emit(event, "agent", member.fields(queue.name))


@handler("QueueAdd")
async def queue_add(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Add a dynamic member; ADDMEMBER in queue_log."""
    queue = sim.core.queues.get(header(action, "Queue"))
    interface = header(action, "Interface")
    if queue is None:
        return error(action, "Unable to add interface to queue: No such queue")
    if queue.member(interface) is not None:
        return error(action, "Unable to add interface: Already there")
    penalty = header(action, "Penalty")
    member = Member(
        interface,
        header(action, "MemberName") or interface,
        int(penalty) if penalty.isdigit() else 0,
        dynamic=True,
        paused=header(action, "Paused").lower() in ("true", "1", "yes"),
    )
    queue.members.append(member)
    session.send(response(action, "Success", "Added interface to queue"))
    _member_event(sim, "QueueMemberAdded", queue, member)
    sim.core.queue_log.write("MANAGER", queue.name, interface, "ADDMEMBER", "")
    return None


@handler("QueueRemove")
async def queue_remove(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Remove a member; REMOVEMEMBER in queue_log."""
    queue = sim.core.queues.get(header(action, "Queue"))
    if queue is None:
        return error(action, "Unable to remove interface from queue: No such queue")
    member = queue.member(header(action, "Interface"))
    if member is None:
        return error(action, "Unable to remove interface: Not there")
    queue.members.remove(member)
    session.send(response(action, "Success", "Removed interface from queue"))
    _member_event(sim, "QueueMemberRemoved", queue, member)
    sim.core.queue_log.write("MANAGER", queue.name, member.interface, "REMOVEMEMBER", "")
    return None


@handler("QueuePause")
async def queue_pause(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Pause/unpause a member; PAUSE/UNPAUSE in queue_log (agent = member name)."""
    paused = header(action, "Paused").lower() in ("true", "1", "yes")
    reason = header(action, "Reason")
    hits = [(q, m) for q in _selected(sim, action) if (m := q.member(header(action, "Interface")))]
    if not hits:
        return error(action, "Interface not found")
    session.send(
        response(action, "Success", f"Interface {'paused' if paused else 'unpaused'} successfully")
    )
    for queue, member in hits:
        member.paused, member.reason = paused, reason if paused else ""
        if paused:
            member.last_pause = int(time.time())
        _member_event(sim, "QueueMemberPause", queue, member)
        sim.core.queue_log.write(
            "NONE",
            queue.name,
            member.name,
            "PAUSE" if paused else "UNPAUSE",
            reason if paused else "",
        )
    return None


@handler("QueuePenalty")
async def queue_penalty(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Change a member's penalty; PENALTY in queue_log (agent = interface)."""
    penalty = header(action, "Penalty")
    hits = [(q, m) for q in _selected(sim, action) if (m := q.member(header(action, "Interface")))]
    if not hits or not penalty.isdigit():
        return error(action, "Invalid interface, queuename or penalty")
    session.send(response(action, "Success", "Interface penalty set successfully"))
    for queue, member in hits:
        member.penalty = int(penalty)
        _member_event(sim, "QueueMemberPenalty", queue, member)
        sim.core.queue_log.write("NONE", queue.name, member.interface, "PENALTY", penalty)
    return None


@handler("QueueLog")
async def queue_log(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Custom queue_log line (UniqueID → callid, Interface → agent)."""
    queue, event = header(action, "Queue"), header(action, "Event")
    if not queue or not event:
        return error(action, "Need 'Queue' and 'Event' parameters.")
    sim.core.queue_log.write(
        header(action, "UniqueID") or "NONE",
        queue,
        header(action, "Interface") or "NONE",
        event,
        header(action, "Message"),
    )
    return response(action, "Success", "Event added successfully")
