"""The Originate action (app_originate semantics of manager.c's action_originate).

The first leg is requested and waited for up to ``Timeout``; once it answers it runs either
the dialplan at Context/Exten/Priority or ``Application``/``Data``. The outcome becomes
OriginateResponse Reason 4 (answered), 5 (busy), 8 (congestion), 3 (timeout) or 0 (failed,
unknown technology, no such extension, channel unavailable).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass

from cpaas_daemon.sim import local
from cpaas_daemon.sim.channel import Channel, wait_indication
from cpaas_daemon.sim.core import Core
from cpaas_daemon.sim.events import channel_fields
from cpaas_daemon.sim.pbx import APPLICATIONS, run_pbx, start_pbx
from cpaas_daemon.sim.protocol import Action, header, variables

REASON = {"busy": 5, "congestion": 8, "hangup": 0}
DISPOSITION = {"busy": "BUSY", "congestion": "CONGESTION", "timeout": "NO ANSWER"}
_CALLERID = re.compile(r'^\s*(?:"(?P<qname>[^"]*)"|(?P<name>[^<]*?))\s*<(?P<num>[^>]*)>\s*$')


def parse_callerid(text: str) -> tuple[str, str]:
    """``"Name" <num>`` → (num, name); a bare value is the number."""
    match = _CALLERID.match(text)
    if not match:
        return text.strip(), ""
    return match["num"], (match["qname"] if match["qname"] is not None else match["name"] or "")


@dataclass
class OriginateRequest:
    """The validated fields of an Originate action."""

    action_id: str
    channel: str
    context: str
    exten: str
    priority: int
    application: str
    data: str
    timeout: float
    cid_num: str
    cid_name: str
    account: str
    variables: list[tuple[str, str]]
    uniqueids: tuple[str, str] = ("", "")  # ChannelId / OtherChannelId ("" = Asterisk picks)

    @classmethod
    def parse(cls, action: Action) -> OriginateRequest | str:
        """The request, or the exact error text Asterisk answers with."""
        channel = header(action, "Channel")
        if not channel:
            return "Channel not specified"
        if "/" not in channel:
            return "Invalid channel"
        raw_timeout = header(action, "Timeout")
        if raw_timeout and not raw_timeout.lstrip("-").isdigit():
            return "Invalid timeout"
        timeout = int(raw_timeout) / 1000 if raw_timeout else 30.0
        if timeout <= 0:
            return "Invalid timeout"
        prio = header(action, "Priority")
        cid_num, cid_name = parse_callerid(header(action, "CallerID"))
        return cls(
            action_id=header(action, "ActionID"),
            channel=channel,
            context=header(action, "Context"),
            exten=header(action, "Exten"),
            priority=int(prio) if prio.isdigit() else 1,
            application=header(action, "Application"),
            data=header(action, "Data"),
            timeout=timeout,
            cid_num=cid_num,
            cid_name=cid_name,
            account=header(action, "Account"),
            variables=variables(action),
            uniqueids=(header(action, "ChannelId"), header(action, "OtherChannelId")),
        )


Notify = Callable[[bool], None]


async def originate(core: Core, req: OriginateRequest, notify: Notify, send_event: bool) -> None:
    """Run one Originate; ``notify(success)`` fires when the first leg answered or failed."""
    first = await _first_leg(core, req)
    if isinstance(first, str):
        notify(False)
        if send_event:
            _response(core, req, None, REASON.get(first, 3 if first == "timeout" else 0))
        return
    notify(True)
    if send_event:
        _response(core, req, first, 4)
    await _run_first_leg(first, req)


async def _first_leg(core: Core, req: OriginateRequest) -> Channel | str:
    target = local.parse_target(req.channel)
    if target is None:
        return "failed"
    setup = local.Setup(
        None, req.cid_num, req.cid_name, req.account, req.variables, "AppDial2", req.uniqueids
    )
    one, two = local.create(core, target, setup)
    if not core.dialplan.exists(target.context, target.exten):
        two.partner = None  # the request fails before the halves are linked: no HangupRequest
        two.hangup(0)
        one.hangup(0)
        return "failed"
    local.local_bridge(one, two, target)
    core.bus.emit(
        "DialBegin", "call", [*channel_fields(one, "Dest"), ("DialString", target.dialstring)]
    )
    start_pbx(two)
    while True:
        got = await wait_indication(one.indications, one, req.timeout * core.scale)
        what = "timeout" if got is None else got[1]
        if what == "ringing":
            core.bus.emit(
                "DialState", "call", [*channel_fields(one, "Dest"), ("DialStatus", "RINGING")]
            )
            continue
        break
    if what == "answer":
        core.bus.emit("DialEnd", "call", [*channel_fields(one, "Dest"), ("DialStatus", "ANSWER")])
        return one
    if what != "timeout":  # a timed-out originate ends without DialEnd (trace)
        status = {"busy": "BUSY", "congestion": "CONGESTION"}.get(what, "CHANUNAVAIL")
        core.bus.emit("DialEnd", "call", [*channel_fields(one, "Dest"), ("DialStatus", status)])
    for side in (one, two):
        if side.cdr is not None and what in DISPOSITION:
            side.cdr.unanswered = DISPOSITION[what]
    one.hangup(19 if what == "timeout" else 0)
    return what


def _response(core: Core, req: OriginateRequest, chan: Channel | None, reason: int) -> None:
    fields = [("ActionID", req.action_id)] if req.action_id else []
    fields += [
        ("Response", "Success" if chan else "Failure"),
        ("Channel", chan.name if chan else req.channel),
    ]
    if req.application:
        fields += [("Application", req.application), ("Data", req.data)]
    else:
        fields += [("Context", req.context), ("Exten", req.exten)]
    fields += [
        ("Reason", str(reason)),
        ("Uniqueid", chan.uniqueid if chan else "<unknown>"),
        ("CallerIDNum", req.cid_num or "<unknown>"),
        ("CallerIDName", req.cid_name or "<unknown>"),
    ]
    core.bus.emit("OriginateResponse", "call", fields)


async def _run_first_leg(chan: Channel, req: OriginateRequest) -> None:
    """After answer: dialplan at Context/Exten, Application(Data), or the channel's own place."""
    if req.application:
        if chan.cdr is not None:
            chan.cdr.app(req.application, req.data)
        func = APPLICATIONS.get(req.application.lower())
        if func is not None:
            await func(chan, req.data)
        chan.hangup(0)
    elif req.exten:
        chan.context, chan.exten, chan.priority = req.context or "default", req.exten, req.priority
        await run_pbx(chan)
    else:
        # Neither given: Asterisk starts the PBX where the channel already is, after the
        # AppDial2 placeholder (trace action_errors, second Originate).
        chan.priority = 2
        await run_pbx(chan)


def start(
    core: Core, req: OriginateRequest, notify: Notify, send_event: bool
) -> asyncio.Task[None]:
    """Spawn the originate as a call task of ``core``."""
    return core.spawn(originate(core, req, notify, send_event))
