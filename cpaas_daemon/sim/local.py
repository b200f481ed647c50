"""Outgoing channels that Originate, Dial and Queue create: Local channel pairs.

``Local/<exten>@<context>[/n]`` gives ``…-<counter>;1`` (handed to the caller, Down) and ``;2``
(runs the dialplan, Ring). Other technologies (PJSIP included) are not simulated: requesting
them fails like an unknown technology does (Originate Reason 0, Dial CHANUNAVAIL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cpaas_daemon.sim.channel import RING, RINGING, UP, Channel
from cpaas_daemon.sim.core import Core
from cpaas_daemon.sim.events import channel_fields

SUPPORTED_TECH = ("Local",)


@dataclass(frozen=True)
class DialTarget:
    """A parsed dial string such as ``Local/1001@sim-endpoints/n``."""

    tech: str
    exten: str
    context: str
    optimize: bool

    @property
    def dialstring(self) -> str:
        """What DialBegin shows as DialString for Originate/Dial (without the technology)."""
        return f"{self.exten}@{self.context}"


def parse_target(dial: str) -> DialTarget | None:
    """Parse ``Tech/exten@context[/opts]``; None for unknown technologies."""
    tech, _, resource = dial.partition("/")
    if tech not in SUPPORTED_TECH:
        return None
    resource, _, opts = resource.partition("/")
    exten, _, context = resource.partition("@")
    return DialTarget(tech, exten, context or "default", "n" not in opts)


@dataclass(frozen=True)
class Setup:
    """What the new channel inherits from whoever creates it."""

    linkedid: str | None
    cid_num: str
    cid_name: str
    account: str
    variables: Sequence[tuple[str, str]]
    placeholder_app: str  # AppDial2 (Originate), AppDial (Dial), AppQueue (Queue)
    uniqueids: tuple[str, str] = ("", "")  # Originate's ChannelId / OtherChannelId


def create(core: Core, target: DialTarget, setup: Setup) -> tuple[Channel, Channel]:
    """Allocate the pair for ``target`` and emit what chan_local/chan_pjsip emit on request."""
    suffix = core.next_suffix()
    base = f"Local/{target.exten}@{target.context}-{suffix}"
    one_id, two_id = setup.uniqueids
    one = core.new_channel(
        f"{base};1", target.context, target.exten, setup.linkedid, uniqueid=one_id or None
    )
    two = core.new_channel(
        f"{base};2", target.context, target.exten, one.linkedid, RING, uniqueid=two_id or None
    )
    one.dialed = two.dialed = target.exten
    one.partner, two.partner = two, one
    _configure(one, two, setup)
    return one, two


def _configure_one(one: Channel, setup: Setup) -> None:
    if setup.placeholder_app == "AppDial2":
        one.event("Newexten", _placeholder(one, setup.placeholder_app), cls="dialplan")
        assert one.cdr is not None
        one.cdr.app(setup.placeholder_app, "(Outgoing Line)")
    else:
        one.cdr = None  # the dialled ;1 is the B side of the caller's CDR
    for name, value in setup.variables:
        one.set_var(name, value)
    if setup.placeholder_app != "AppDial2":
        one.event("Newexten", _placeholder(one, setup.placeholder_app), cls="dialplan")
    if setup.account:
        one.set_account(setup.account)
    if setup.cid_num or setup.cid_name:
        one.set_callerid(*_one_callerid(one, setup))
        one.set_connected(setup.cid_num, setup.cid_name)


def _one_callerid(one: Channel, setup: Setup) -> tuple[str, str]:
    # A dialled leg shows the dialled number with the caller's name, an originated one the CallerID.
    return (one.exten if setup.placeholder_app == "AppDial" else setup.cid_num), setup.cid_name


def _configure(one: Channel, two: Channel, setup: Setup) -> None:
    _configure_one(one, setup)
    for name, value in setup.variables:
        two.set_var(name, value)
    if setup.cid_num or setup.cid_name:
        two.set_callerid(setup.cid_num, setup.cid_name)
    if setup.account:
        two.set_account(setup.account)
    if setup.cid_num or setup.cid_name:
        two.set_connected(one.cid_num, setup.cid_name)


def _placeholder(chan: Channel, app: str) -> list[tuple[str, str]]:
    return [("Extension", chan.exten), ("Application", app), ("AppData", "(Outgoing Line)")]


def local_bridge(one: Channel, two: Channel, target: DialTarget) -> None:
    """The LocalBridge event that follows a successful request of a Local channel."""
    one.core.bus.emit(
        "LocalBridge",
        "call",
        [
            *channel_fields(one, "LocalOne"),
            *channel_fields(two, "LocalTwo"),
            ("Context", target.context),
            ("Exten", target.exten),
            ("LocalOptimization", "Yes" if target.optimize else "No"),
        ],
    )


def answer(chan: Channel) -> None:
    """The far end answers: Up on this side and, for a Local ;2, on the ;1 (caller) side."""
    chan.set_state(UP)
    peer = chan.partner
    if peer is not None and not peer.runs_pbx and not peer.gone:
        peer.set_state(UP)
        peer.wake("answer")


def ringing(chan: Channel) -> None:
    """Ringing indication travels to the calling side only (its state becomes Ringing)."""
    peer = chan.partner
    if peer is not None and not peer.runs_pbx and not peer.gone and peer.state != RINGING:
        peer.set_state(RINGING)
        peer.wake("ringing")


def indicate(chan: Channel, what: str) -> None:
    """Busy/congestion indication to the calling side."""
    peer = chan.partner
    if peer is not None and not peer.gone:
        peer.wake(what)
