"""AMI action handlers (everything except Login, which the server handles itself).

Each handler gets the server, the session and the parsed action and returns the response
fields (``None`` when it already wrote its own frames, e.g. list responses). Error texts are the
exact ones Asterisk 22 sends (see the fixtures README).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from cpaas_daemon.sim import atxfer, originate
from cpaas_daemon.sim.apps import start_mixmonitor, stop_mixmonitor
from cpaas_daemon.sim.commands import run_command
from cpaas_daemon.sim.events import channel_fields
from cpaas_daemon.sim.pbx import expand, set_variable
from cpaas_daemon.sim.protocol import Action, Fields, header
from cpaas_daemon.sim.session import Session

if TYPE_CHECKING:
    from cpaas_daemon.sim.channel import Channel
    from cpaas_daemon.sim.server import SimulatedAsterisk

Handler = Callable[["SimulatedAsterisk", Session, Action], Awaitable[Fields | None]]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register an action handler under its lower-cased name."""

    def register(func: Handler) -> Handler:
        HANDLERS[name.lower()] = func
        return func

    return register


def response(
    action: Action, status: str, message: str | None = None, extra: Fields | None = None
) -> Fields:
    """``Response`` first, ``ActionID`` second (only when sent), then the rest."""
    fields: Fields = [("Response", status)]
    if action_id := header(action, "ActionID"):
        fields.append(("ActionID", action_id))
    if message is not None:
        fields.append(("Message", message))
    return fields + (extra or [])


def list_start(action: Action, message: str) -> Fields:
    """First frame of a list response."""
    return response(action, "Success", extra=[("EventList", "start"), ("Message", message)])


def error(action: Action, message: str) -> Fields:
    """``Response: Error`` with the given text."""
    return response(action, "Error", message)


@handler("Ping")
async def ping(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Ping → Pong with a Timestamp."""
    return response(
        action, "Success", extra=[("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")]
    )


@handler("Logoff")
async def logoff(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Goodbye, then EOF."""
    session.send(response(action, "Goodbye", "Thanks for all the fish."))
    session.close()
    return None


@handler("Originate")
async def originate_action(
    sim: SimulatedAsterisk, session: Session, action: Action
) -> Fields | None:
    """Async: queued at once plus OriginateResponse later. Sync: answer only, events held."""
    req = originate.OriginateRequest.parse(action)
    if isinstance(req, str):
        return error(action, req)
    if header(action, "Async").lower() in ("true", "yes", "1"):
        originate.start(sim.core, req, lambda ok: None, send_event=True)
        return response(action, "Success", "Originate successfully queued")
    outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def notify(ok: bool) -> None:
        if not outcome.done():
            outcome.set_result(ok)

    session.blocked = True
    originate.start(sim.core, req, notify, send_event=False)
    try:
        ok = await outcome
    finally:
        session.blocked = False
    session.send(
        response(action, "Success", "Originate successfully queued")
        if ok
        else error(action, "Originate failed")
    )
    session.unblock()
    return None


@handler("Hangup")
async def hangup(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Soft hang-up of a channel with an optional Cause."""
    chan = sim.core.find_channel(header(action, "Channel"))
    if chan is None:
        return error(action, "No such channel")
    cause = header(action, "Cause")
    chan.request_hangup(int(cause) if cause.isdigit() else 16, announce=False)
    chan.wake("hangup")
    return response(action, "Success", "Channel Hungup")


@handler("Redirect")
async def redirect(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Async goto: the channel leaves its bridge/application and runs the new location."""
    name, context = header(action, "Channel"), header(action, "Context")
    if not context:
        return error(action, "Context not specified")
    chan = sim.core.find_channel(name)
    if chan is None:
        return error(action, f"Channel does not exist: {name}")
    prio = header(action, "Priority")
    chan.redirect_to = (context, header(action, "Exten"), int(prio) if prio.isdigit() else 1)
    chan.wake("redirect")
    return response(action, "Success", "Redirect successful")


def _transferer(sim: SimulatedAsterisk, action: Action) -> tuple[Channel, Channel | None] | Fields:
    """The transferer an Atxfer/BlindTransfer names and its bridge peer, or the error
    Asterisk answers (the same texts for both actions)."""
    name, exten = header(action, "Channel"), header(action, "Exten")
    if not name:
        return error(action, "No channel specified")
    if not exten:
        return error(action, "No extension specified")
    chan = sim.core.find_channel(name)
    if chan is None:
        return error(action, "Channel specified does not exist")
    peer = next((m for m in chan.bridge.members if m is not chan), None) if chan.bridge else None
    return chan, peer


@handler("Atxfer")
async def atxfer_action(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Queue the attended transfer (see ``sim.atxfer``); Asterisk answers before it runs."""
    found = _transferer(sim, action)
    if not isinstance(found, tuple):
        return found
    chan, _ = found
    session.send(response(action, "Success", "Atxfer successfully queued"))
    atxfer.start(chan, header(action, "Context") or chan.context, header(action, "Exten"))
    return None


@handler("BlindTransfer")
async def blind_transfer(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """The transferer's bridge peer runs Exten@Context; the transferer leaves the bridge
    (its Dial returns and its dialplan hangs it up). Texts and event as Asterisk 22's."""
    found = _transferer(sim, action)
    if not isinstance(found, tuple):
        return found
    chan, peer = found
    if peer is None:
        return error(action, "Transfer failed")
    context, exten = header(action, "Context") or chan.context, header(action, "Exten")
    sim.core.bus.emit(
        "BlindTransfer",
        "call",
        [
            ("Result", "Success"),
            *channel_fields(chan, "Transferer"),
            *channel_fields(peer, "Transferee"),
            ("IsExternal", "Yes"),
            ("Context", context),
            ("Extension", exten),
        ],
    )
    session.send(response(action, "Success", "Transfer succeeded"))
    peer.redirect_to = (context, exten, 1)
    peer.wake("redirect")
    return None


@handler("MixMonitor")
async def mixmonitor(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Start recording; a bare Success like Asterisk."""
    chan = sim.core.find_channel(header(action, "Channel"))
    if chan is None:
        return error(action, "No such channel")
    session.send(response(action, "Success"))
    start_mixmonitor(chan, header(action, "File"))
    return None


@handler("StopMixMonitor")
async def stopmixmonitor(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Stop recording; a bare Success."""
    chan = sim.core.find_channel(header(action, "Channel"))
    if chan is None:
        return error(action, "No such channel")
    session.send(response(action, "Success"))
    stop_mixmonitor(chan)
    return None


def _duration(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


@handler("CoreShowChannels")
async def coreshowchannels(
    sim: SimulatedAsterisk, session: Session, action: Action
) -> Fields | None:
    """List every live channel (ActionID right after Event, no Privilege)."""
    session.send(list_start(action, "Channels will follow"))
    action_id = [("ActionID", header(action, "ActionID"))] if header(action, "ActionID") else []
    chans = list(sim.core.channels.values())
    for chan in chans:
        app, data = (
            (chan.cdr.lastapp, chan.cdr.lastdata)
            if chan.cdr is not None
            else ("AppDial", "(Outgoing Line)")
        )
        session.send(
            [
                ("Event", "CoreShowChannel"),
                *action_id,
                *channel_fields(chan),
                ("Application", app),
                ("ApplicationData", data),
                ("Duration", _duration(time.time() - chan.created)),
                ("BridgeId", chan.bridge.uniqueid if chan.bridge else ""),
            ]
        )
    session.send(
        [
            ("Event", "CoreShowChannelsComplete"),
            *action_id,
            ("EventList", "Complete"),
            ("ListItems", str(len(chans))),
        ]
    )
    return None


@handler("Getvar")
async def getvar(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Read a channel variable (or a global without Channel)."""
    name, variable = header(action, "Channel"), header(action, "Variable")
    if not variable:
        return error(action, "No variable specified")
    if not name:
        return response(
            action,
            "Success",
            extra=[("Variable", variable), ("Value", sim.core.dialplan.globals.get(variable, ""))],
        )
    chan = sim.core.find_channel(name)
    if chan is None:
        return error(action, "No such channel")
    return response(
        action,
        "Success",
        extra=[("Variable", variable), ("Value", expand(chan, f"${{{variable}}}"))],
    )


@handler("Setvar")
async def setvar(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """Set a channel variable (or a global without Channel)."""
    name, variable = header(action, "Channel"), header(action, "Variable")
    if not variable:
        return error(action, "No variable specified")
    if not name:
        sim.core.dialplan.globals[variable] = header(action, "Value")
        return response(action, "Success", "Variable Set")
    chan = sim.core.find_channel(name)
    if chan is None:
        return error(action, "No such channel")
    set_variable(chan, variable, header(action, "Value"))
    return response(action, "Success", "Variable Set")


@handler("Command")
async def command(sim: SimulatedAsterisk, session: Session, action: Action) -> Fields | None:
    """CLI command; its lines come back as repeated ``Output:`` headers."""
    text = header(action, "Command")
    if not text:
        return error(action, "No command provided")
    lines = await run_command(sim, text)
    if lines is None:
        return error(action, "Command output follows")
    return response(
        action, "Success", "Command output follows", [("Output", line) for line in lines]
    )
