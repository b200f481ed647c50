"""Dial(): ring Local targets, report Dial* events, bridge the answered one.

Also provides the pieces Queue() reuses (placing a call to a member, DialEnd, bridging).
Outcomes map to DIALSTATUS as app_dial does: busy → BUSY, congestion → CONGESTION, timeout →
NOANSWER, a callee that hangs up before answering → CHANUNAVAIL (cause 20 in the simulated
endpoints), caller gone → CANCEL.
"""

from __future__ import annotations

import asyncio

from cpaas_daemon.sim import local
from cpaas_daemon.sim.bridge import Bridge
from cpaas_daemon.sim.cdr import CdrRecord, close_attempt
from cpaas_daemon.sim.channel import UP, Channel, wait_indication
from cpaas_daemon.sim.events import channel_fields
from cpaas_daemon.sim.pbx import application, newexten, start_pbx

BRIDGE_HOP = 0.005
INDICATION_STATUS = {"busy": "BUSY", "congestion": "CONGESTION", "hangup": "CHANUNAVAIL"}


def inherited(chan: Channel) -> list[tuple[str, str]]:
    """Variables a new channel inherits: ``__X`` stays ``__X``, ``_X`` becomes ``X``."""
    result: list[tuple[str, str]] = []
    for name, value in chan.variables.items():
        if name.startswith("__"):
            result.append((name, value))
        elif name.startswith("_"):
            result.append((name[1:], value))
    return result


def place_call(
    caller: Channel, dial: str, app: str, queue: asyncio.Queue[tuple[Channel, str]]
) -> tuple[Channel, Channel] | None:
    """Request ``dial`` for ``caller``: the Local pair and LocalBridge; None if the target cannot
    be requested (unknown technology or extension). The caller then emits DialBegin and starts
    the ``;2`` dialplan, in that order."""
    target = local.parse_target(dial)
    if target is None or not caller.core.dialplan.exists(target.context, target.exten):
        return None
    peer_number = target.dialstring + ("" if target.optimize else "/n")
    setup = local.Setup(
        linkedid=caller.linkedid,
        cid_num=caller.cid_num,
        cid_name=caller.cid_name,
        account=caller.accountcode,
        variables=[*inherited(caller), ("DIALEDPEERNUMBER", peer_number)],
        placeholder_app=app,
    )
    one, two = local.create(caller.core, target, setup)
    one.indications = queue
    local.local_bridge(one, two, target)
    return one, two


def dial_begin(caller: Channel, callee: Channel, dialstring: str) -> None:
    """DialBegin with both parties; a new attempt after a failed one reopens the record."""
    if caller.cdr is not None:
        caller.cdr.reopen()
    caller.core.bus.emit(
        "DialBegin",
        "call",
        [*channel_fields(caller), *channel_fields(callee, "Dest"), ("DialString", dialstring)],
    )


def dial_event(event: str, caller: Channel, callee: Channel, status: str) -> None:
    """DialState / DialEnd with both parties."""
    caller.core.bus.emit(
        event,
        "call",
        [*channel_fields(caller), *channel_fields(callee, "Dest"), ("DialStatus", status)],
    )


def cancel(caller: Channel, callee: Channel, status: str) -> None:
    """Give up on a ringing callee: DialEnd, its own CDR attempt, hang it up (cause 0)."""
    dial_event("DialEnd", caller, callee, status)
    close_attempt(caller, callee.name, status)
    callee.hangup(0)


async def bridge_call(caller: Channel, callee: Channel, app: str = "AppDial") -> bool:
    """Bridge caller and answered callee until one leaves; the callee then hangs up or, when
    redirected, runs dialplan at its new location. True when the callee left first."""
    bridge = Bridge(caller.core)
    if app == "AppDial":
        callee.exten = ""
        newexten(callee, app, "(Outgoing Line)")
    bridge.enter(callee)
    bridge.enter(caller)
    await bridge.hold()
    while bridge.handover is not None:
        if await bridge.handover:  # the parties went elsewhere (attended transfer)
            return False
        bridge.handover = None  # handed back
        await bridge.hold()
    first = callee if callee.stopped and not caller.stopped else caller
    bridge.leave(first)
    if first is callee:
        _release(callee)
        bridge.leave(caller)
        return True
    caller.core.spawn(_release_later(bridge, callee))
    return False


def _release(callee: Channel) -> None:
    if callee.redirect_to is not None and not callee.soft_hangup:
        # A redirected B side becomes a party of its own; Asterisk still shows the Dial
        # placeholder as the first application it runs (trace action_redirect).
        callee.cdr = CdrRecord(answered=callee.answered_at)
        callee.placeholder = "AppDial"
        start_pbx(callee)
    else:
        callee.hangup(16)


async def _release_later(bridge: Bridge, callee: Channel) -> None:
    # Dissolving the bridge is a thread hop in Asterisk (~1 ms in the traces, 5 ms here for
    # determinism under a scaled clock); a callee whose
    # own dialplan step ends in that window still runs it (originate_sync_answered).
    await asyncio.sleep(BRIDGE_HOP)
    bridge.leave(callee)
    _release(callee)


@application("Dial")
async def dial(chan: Channel, data: str) -> bool:
    """Dial(Tech/res[&Tech/res…][,timeout[,options]])."""
    args = [part.strip() for part in data.split(",")] + ["", ""]
    timeout = float(args[1]) if args[1].replace(".", "", 1).isdigit() else None
    for name in ("DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME"):
        chan.set_var(name, "")
    queue: asyncio.Queue[tuple[Channel, str]] = asyncio.Queue()
    ringing: list[Channel] = []
    for dialstring in args[0].split("&"):
        pair = place_call(chan, dialstring, "AppDial", queue)
        if pair is not None:
            dial_begin(chan, pair[0], dialstring.split("/", 1)[-1])
            start_pbx(pair[1])
            ringing.append(pair[0])
    status, winner = await _wait_answer(chan, ringing, queue, timeout)
    chan.set_var("DIALSTATUS", status)
    if winner is None:
        return not chan.stopped
    chan.set_var("DIALEDPEERNAME", winner.name)
    dial_event("DialEnd", chan, winner, "ANSWER")
    if chan.cdr is not None:
        chan.cdr.dstchannel = winner.name
    await bridge_call(chan, winner)
    return chan.redirect_to is not None


async def _wait_answer(
    chan: Channel,
    ringing: list[Channel],
    queue: asyncio.Queue[tuple[Channel, str]],
    ring_for: float | None,
) -> tuple[str, Channel | None]:
    status = "CHANUNAVAIL"
    scaled = None if ring_for is None else ring_for * chan.core.scale
    while ringing:
        got = await wait_indication(queue, chan, scaled)
        if got is None or got[1] == "stopped":
            final = "NOANSWER" if got is None else "CANCEL"
            for callee in ringing:
                cancel(chan, callee, final)
            return final, None
        callee, what = got
        if callee not in ringing:
            continue
        if what == "ringing":
            dial_event("DialState", chan, callee, "RINGING")
        elif what == "answer":
            ringing.remove(callee)
            for other in ringing:
                cancel(chan, other, "CANCEL")
            if chan.state != UP:
                local.answer(chan)
            return "ANSWER", callee
        else:
            ringing.remove(callee)
            status = _refusal_status(callee, what)
            cancel(chan, callee, status)
    return status, None


def _refusal_status(callee: Channel, what: str) -> str:
    if what == "hangup" and callee.cause in (17, 34):
        return "BUSY" if callee.cause == 17 else "CONGESTION"
    return INDICATION_STATUS.get(what, "CHANUNAVAIL")
