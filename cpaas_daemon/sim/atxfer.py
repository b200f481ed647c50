"""The Atxfer action: an attended transfer as Asterisk 22 performs it for a party of a
basic bridge (trace ``tests/traces/atxfer_click2call``, recorded on the project's rig).

Asterisk feeds the atxfer feature code and the extension to the transferer as DTMF (DTMFEnd
events, no DTMFBegin); after the code the transferer is on Hold and its bridge peer (the
transferee) hears music on hold. One digit timeout after the last digit, a consultation
channel ``Local/<exten>@<context>`` is created (it runs the context like any Local ;2),
its ;1 and the transferer meet in a new bridge, and the ;1 shows a DialEnd without a
caller once the target answers. When the transferer hangs up, the consultation bridge
merges into the original one (BridgeMerge), the transferee's music stops, AttendedTransfer
reports the parties, and the transferer and its Local partner hang up. The consultation
Local pair then optimises itself away: the transferee takes the ;2's place beside the
target and the pair hangs up. From then on that bridge dissolves when either party leaves.

What no trace shows, and is modelled plainly: a consultation that fails (the target does
not answer, the extension does not exist) hands the transferer back to the transferee;
a transferer that hangs up while the digits are still being collected just ends the call.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path

from cpaas_daemon.sim import cdr, local
from cpaas_daemon.sim.bridge import Bridge
from cpaas_daemon.sim.channel import RING, Channel, wait_indication
from cpaas_daemon.sim.dial import inherited
from cpaas_daemon.sim.events import channel_fields
from cpaas_daemon.sim.pbx import start_pbx
from cpaas_daemon.sim.protocol import Fields

FEATURES_FILE = Path(__file__).parents[2] / "asterisk" / "features_cpaas.conf"
DEFAULT_CODE = "*2"  # Asterisk's built-in atxfer feature code

# Gaps measured in the trace, in simulated seconds.
CODE_DIGIT_GAP = 0.15  # between the feature code's digits
HOLD_AFTER_CODE = 0.1  # the code is recognised: Hold, music on hold
FIRST_DIGIT_GAP = 0.34  # then the extension's digits
DIGIT_GAP = 0.06
DIGIT_TIMEOUT = 3.0  # features.conf transferdigittimeout (its default)
OPTIMIZE_AFTER = 0.24  # transfer done -> LocalOptimizationBegin
SWAP_AFTER = 0.17  # -> the transferee replaces the consultation ;2


def feature_code(path: Path = FEATURES_FILE) -> str:
    """The ``atxfer`` entry of the shipped features.conf [featuremap]."""
    text = path.read_text() if path.exists() else ""
    found = re.search(r"^\s*atxfer\s*=>?\s*(\S+)", text, re.MULTILINE)
    return found[1] if found else DEFAULT_CODE


def start(transferer: Channel, context: str, exten: str) -> None:
    """Run the transfer in its own task (Asterisk's bridge channel thread does)."""
    transferer.core.spawn(_transfer(transferer, context, exten))


async def _transfer(chan: Channel, context: str, exten: str) -> None:
    peer = chan.bridge.peer_of(chan) if chan.bridge is not None else None
    code = feature_code()
    if not await _digits(chan, code, CODE_DIGIT_GAP, first_gap=0.0):
        return
    if peer is None:  # no bridge features: the digits just reach the application
        await _digits(chan, exten, DIGIT_GAP, first_gap=DIGIT_GAP)
        return
    if not await chan.sleep(HOLD_AFTER_CODE):
        return
    chan.event("Hold")
    peer.event("MusicOnHoldStart", [("Class", "default")])
    if not await _digits(chan, exten, DIGIT_GAP, first_gap=FIRST_DIGIT_GAP):
        return
    if not await chan.sleep(DIGIT_TIMEOUT) or peer.stopped or chan.bridge is None:
        return
    original = chan.bridge
    if not chan.core.dialplan.exists(context, exten):
        peer.event("MusicOnHoldStop")
        return
    one, two = _consultation(chan, context, exten)
    consult = one.bridge
    assert consult is not None
    transfer = Transfer(chan, peer, one, two, original, consult, original.take_over())
    original.leave(chan)
    consult.enter(chan)
    chan.set_connected(one.cid_num, one.cid_name)
    cdr.new_peer(chan, one.name)
    if await _consult(chan, one):
        await transfer.complete()
    else:
        transfer.hand_back()


async def _digits(chan: Channel, digits: str, gap: float, *, first_gap: float) -> bool:
    """DTMF the action feeds to the transferer, as it reads them."""
    for index, digit in enumerate(digits):
        pause = first_gap if index == 0 else gap
        if pause and not await chan.sleep(pause):
            return False
        chan.event(
            "DTMFEnd",
            [("Digit", digit), ("DurationMs", "0"), ("Direction", "Received")],
            cls="dtmf",
        )
    return not chan.stopped


def _consultation(chan: Channel, context: str, exten: str) -> tuple[Channel, Channel]:
    """The consultation Local pair: ;2 runs exten@context, ;1 waits in a new bridge."""
    core = chan.core
    base = f"Local/{exten}@{context}-{core.next_suffix()}"
    one = core.new_channel(f"{base};1", context, exten, chan.linkedid)
    two = core.new_channel(f"{base};2", context, exten, chan.linkedid, RING)
    one.partner, two.partner = two, one
    one.dialed = two.dialed = exten
    one.cdr = None  # it gets a record once it is bridged with the transferee
    for name, value in inherited(chan):
        one.set_var(name, value)
        two.set_var(name, value)
    consult = Bridge(core)
    two.set_callerid(chan.cid_num, chan.cid_name)
    local.local_bridge(one, two, local.DialTarget("Local", exten, context, optimize=True))
    start_pbx(two)
    one.set_connected(chan.cid_num, chan.cid_name)
    consult.enter(one)
    return one, two


async def _consult(chan: Channel, one: Channel) -> bool:
    """Until the transferer hangs up (True: complete) or the consultation ends (False)."""
    while True:
        got = await wait_indication(one.indications, chan, None)
        if got is None:
            continue
        if got[0] is chan:
            return True
        if got[1] == "answer":
            chan.core.bus.emit(
                "DialEnd", "call", [*channel_fields(one, "Dest"), ("DialStatus", "ANSWER")]
            )
        elif got[1] in ("hangup", "busy", "congestion"):
            return False


def _prefixed(prefix: str, fields: Fields) -> Fields:
    return [(prefix + key, value) for key, value in fields]


@dataclass
class Transfer:
    """The parties of one attended transfer once the consultation exists."""

    chan: Channel  # the transferer
    peer: Channel  # the transferee, on hold
    one: Channel  # the consultation ;1, beside the transferer
    two: Channel  # the consultation ;2, which dialled the target
    original: Bridge
    consult: Bridge
    handover: asyncio.Future[bool]  # the original bridge's, taken from its Dial

    async def complete(self) -> None:
        """The transferer hung up: the consultation joins the transferee's bridge."""
        chan, peer, one, two, original, consult = (
            self.chan, self.peer, self.one, self.two, self.original, self.consult
        )  # fmt: skip
        core = chan.core
        core.bus.emit(
            "BridgeMerge",
            "call",
            [*_prefixed("To", original.fields()), *_prefixed("From", consult.fields())],
        )
        consult.leave(one)
        original.enter(one)
        consult.leave(chan)
        peer.event("MusicOnHoldStop")
        core.bus.emit(
            "AttendedTransfer",
            "call",
            [
                ("Result", "Success"),
                *channel_fields(chan, "OrigTransferer"),
                *_prefixed("Orig", original.fields()),
                *channel_fields(chan, "SecondTransferer"),
                *_prefixed("Second", consult.fields()),
                *channel_fields(peer, "Transferee"),
                *channel_fields(one, "TransferTarget"),
                ("IsExternal", "No"),
                ("DestType", "Bridge"),
                ("DestBridgeUniqueid", original.uniqueid),
            ],
        )
        self.handover.set_result(True)  # the transferer's Dial returns and it hangs up
        one.cdr = cdr.CdrRecord(answered=time.time(), dstchannel=peer.name)
        one.set_connected(peer.cid_num, peer.cid_name)
        peer.set_connected(one.cid_num, one.cid_name)
        target = two.bridge.peer_of(two) if two.bridge is not None else None
        if target is not None:
            target.set_connected(peer.cid_num, peer.cid_name)
        if chan.partner is not None:
            await _withhold_when_gone(chan.partner)
        if target is not None:
            await _optimize(peer, one, two, target)

    def hand_back(self) -> None:
        """The consultation ended without a transfer: back to the transferee."""
        chan, peer, one = self.chan, self.peer, self.one
        self.consult.leave(one)
        one.hangup()
        self.consult.leave(chan)
        if not chan.stopped and not peer.gone:
            self.original.enter(chan)
            peer.event("MusicOnHoldStop")
            cdr.new_peer(chan, peer.name)
        self.handover.set_result(False)


async def _withhold_when_gone(chan: Channel) -> None:
    """The ;2 of a transferred Local pair reports its caller ID withheld after its Hangup."""
    while not chan.gone:
        chan.interrupt.clear()
        await chan.interrupt.wait()
    chan.cid_num = chan.cid_name = ""
    chan.event("NewCallerid", [("CID-CallingPres", "67 (Number Unavailable)")])


async def _optimize(peer: Channel, one: Channel, two: Channel, target: Channel) -> None:
    """The consultation Local pair leaves: the transferee takes the ;2's seat by the target."""
    core = peer.core
    await asyncio.sleep(OPTIMIZE_AFTER * core.scale)
    original, dial_bridge = one.bridge, two.bridge
    if original is None or dial_bridge is None or any(c.stopped for c in (peer, one, two)):
        return
    ident = core.next_optimization_id()
    core.bus.emit(
        "LocalOptimizationBegin",
        "call",
        [
            *channel_fields(one, "LocalOne"),
            *channel_fields(two, "LocalTwo"),
            *channel_fields(peer, "Source"),
            ("DestUniqueId", two.uniqueid),
            ("Id", ident),
        ],
    )
    await asyncio.sleep(SWAP_AFTER * core.scale)
    original.leave(peer)
    two.set_callerid(peer.cid_num, peer.cid_name)
    dial_bridge.take_over().set_result(True)  # the consultation's Dial returns
    dial_bridge.leave(two)
    dial_bridge.enter(peer)
    core.bus.emit(
        "LocalOptimizationEnd",
        "call",
        [
            *channel_fields(one, "LocalOne"),
            *channel_fields(two, "LocalTwo"),
            ("Success", "No"),
            ("Id", ident),
        ],
    )
    peer.cdr = cdr.CdrRecord(
        answered=time.time(), lastapp="AppDial", lastdata="(Outgoing Line)", dstchannel=target.name
    )
    original.leave(one)
    one.hangup(16)
    if target.partner is not None:
        target.partner.set_callerid(peer.cid_num, peer.cid_name)
    await dial_bridge.hold_taken_over()
    first = next((m for m in dial_bridge.members if m.stopped), peer)
    for party in (first, *(m for m in dial_bridge.members if m is not first)):
        dial_bridge.leave(party)
        party.hangup(16)
    if peer.partner is not None:
        await _withhold_when_gone(peer.partner)
