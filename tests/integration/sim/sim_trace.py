"""Reference-trace replay and comparison for the simulator.

``replay`` sends a scenario's recorded actions to the simulator (time-scaled, channel names
translated from the trace's counters to the simulator's) and collects what comes back;
``compare`` checks the result against the recorded stream after normalising what legitimately
differs between runs: channel counters, Uniqueids, bridge ids, times and durations.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from tests.integration.sim.sim_ami_client import AmiClient, Frame, get, parse

FIXTURES = Path(__file__).resolve().parents[2] / "traces"

# Left out of every comparison: VarSet carries app_dial/app_queue bookkeeping the simulator
# does not reproduce, DeviceStateChange is device-state noise that Asterisk itself coalesces.
IGNORED_EVENTS = frozenset({"VarSet", "DeviceStateChange"})
# Events whose per-channel order Asterisk fixes (README: OriginateResponse and Cdr are racy).
ORDERED_EVENTS = ("Newchannel", "Newexten", "Newstate", "DialBegin", "DialEnd", "BridgeEnter")
_COUNTER = re.compile(r"-([0-9a-f]{8})(?=;[12]\b|\b)")
_UNIQUEID = re.compile(r"\b\d{10}\.\d+\b")
_TIMES = frozenset(
    {
        "Timestamp",
        "EventTV",
        "SessionTV",
        "StartTime",
        "AnswerTime",
        "EndTime",
        "Duration",
        "BillableSeconds",
        "Uptime",
        "LastReload",
        "SessionID",
        "LocalAddress",
        "RemoteAddress",
        "BridgeUniqueid",
        "LoginTime",
        "LastCall",
        "LastPause",
        "HoldTime",
        "TalkTime",
        "RingTime",
        "Wait",
        "Holdtime",
        "LongestHoldTime",
        "ActionID",
        "Output",
    }
)


@dataclass
class TraceFrame:
    """One frame of a recorded scenario."""

    direction: str
    rel: float
    raw: bytes

    @property
    def fields(self) -> Frame:
        """Parsed key/value pairs."""
        return parse(self.raw.rstrip(b"\r\n"))


def load(scenario: str) -> list[TraceFrame]:
    """The byte-exact stream of ``<scenario>.ami.jsonl``."""
    path = FIXTURES / f"{scenario}.ami.jsonl"
    frames = []
    for line in path.read_text().splitlines():
        item = json.loads(line)
        frames.append(TraceFrame(item["dir"], item["rel"], item.get("raw", "").encode("latin-1")))
    return frames


def received(frames: list[TraceFrame]) -> list[Frame]:
    """Frames Asterisk sent, banner excluded."""
    return [
        f.fields for f in frames if f.direction == "recv" and not f.raw.startswith(b"Asterisk Call")
    ]


class Normaliser:
    """Maps run-specific identifiers to their order of first appearance."""

    def __init__(self) -> None:
        self.counters: dict[str, str] = {}
        self.uniqueids: dict[str, str] = {}

    def text(self, value: str) -> str:
        """Replace channel counters and Uniqueids inside ``value``."""
        value = _COUNTER.sub(
            lambda m: "-C" + self.counters.setdefault(m[1], str(len(self.counters))), value
        )
        return _UNIQUEID.sub(
            lambda m: "U" + self.uniqueids.setdefault(m[0], str(len(self.uniqueids))), value
        )

    def frame(self, frame: Frame) -> Frame:
        """A frame with identifiers normalised and time-like values blanked."""
        return [(k, "*" if k in _TIMES else self.text(v)) for k, v in frame]


def _name(frame: Frame) -> str:
    return get(frame, "Event") or f"Response:{get(frame, 'Response')}"


def events(frames: list[Frame]) -> list[Frame]:
    """Event frames minus the ignored types."""
    return [f for f in frames if get(f, "Event") and get(f, "Event") not in IGNORED_EVENTS]


def counters_in_order(frames: list[Frame]) -> list[str]:
    """Channel counters as they first appear in a stream."""
    seen: dict[str, None] = {}
    for frame in frames:
        for _, value in frame:
            for match in _COUNTER.finditer(value):
                seen.setdefault(match[1])
    return list(seen)


async def replay(
    sim_port: int, scenario: str, scale: float, wait_idle: asyncio.Event
) -> list[Frame]:
    """Send the scenario's actions with the recorded spacing (scaled); returns what came back.

    Before the final Logoff the simulator is allowed to finish its calls (``wait_idle``), since
    in the trace every call had ended before Logoff.
    """
    trace = load(scenario)
    client = await AmiClient.connect(sim_port)
    assert client.banner == b"Asterisk Call Manager/11.0.0\r\n"
    loop = asyncio.get_running_loop()
    start = loop.time()
    for frame in (f for f in trace if f.direction == "send"):
        delay = start + frame.rel * scale - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if b"Action: Logoff" in frame.raw:
            await asyncio.wait_for(wait_idle.wait(), 30)
        client.send_raw(_translate(frame, trace, client.frames))
        if b"Action: Login" in frame.raw and b"ActionID" in frame.raw:
            action_id = get(frame.fields, "ActionID")
            await client.wait_for(lambda f, a=action_id: get(f, "ActionID") == a)
    await asyncio.wait_for(client.eof.wait(), 10)
    await client.close()
    return client.frames


def _translate(frame: TraceFrame, trace: list[TraceFrame], sim_recv: list[Frame]) -> bytes:
    """Rewrite channel names of the trace into the simulator's names (same appearance order)."""
    before = [f.fields for f in trace if f.direction == "recv" and f.rel <= frame.rel]
    mapping = dict(zip(counters_in_order(before), counters_in_order(sim_recv), strict=False))
    return _COUNTER.sub(
        lambda m: "-" + mapping.get(m[1], m[1]), frame.raw.decode("latin-1")
    ).encode("latin-1")


def keys_by_event(frames: list[Frame]) -> dict[str, list[str]]:
    """Header keys (in order) of the first occurrence of each event type."""
    result: dict[str, list[str]] = {}
    for frame in events(frames):
        result.setdefault(_name(frame), [k for k, _ in frame])
    return result


def per_channel(frames: list[Frame]) -> dict[str, list[tuple[str, ...]]]:
    """Per normalised channel, the ordered (event, detail) sequence of the ORDERED_EVENTS."""
    norm = primed(frames)
    result: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for raw in events(frames):
        name = _name(raw)
        if name not in ORDERED_EVENTS:
            continue
        frame = norm.frame(raw)
        chan = (
            get(frame, "Channel")
            if name not in ("DialBegin", "DialEnd")
            else get(frame, "DestChannel")
        )
        detail = {
            "Newexten": ("Application", "AppData"),
            "Newstate": ("ChannelStateDesc",),
            "DialEnd": ("DialStatus",),
        }.get(name, ())
        result[chan].append((name, *(get(frame, key) for key in detail)))
    return dict(result)


def primed(frames: list[Frame]) -> Normaliser:
    """A normaliser that numbers identifiers by their first appearance in the whole stream."""
    norm = Normaliser()
    for frame in frames:
        norm.frame(frame)
    return norm


def _billed(seconds: int) -> str:
    """Billing class robust to scheduler jitter at a fast clock (0 vs 1 s is noise)."""
    return "billed" if seconds >= 2 else "under 2 s"


def cdrs(frames: list[Frame]) -> Counter[tuple[str, ...]]:
    """Cdr legs: (Channel, DestinationChannel, Disposition, LastApplication, LastData, billed)."""
    norm = primed(frames)
    return Counter(
        (
            *(norm.text(get(f, key)) for key in ("Channel", "DestinationChannel")),
            *(get(f, key) for key in ("Disposition", "LastApplication", "LastData")),
            _billed(int(get(f, "BillableSeconds") or 0)),
        )
        for f in frames
        if get(f, "Event") == "Cdr"
    )


def responses(frames: list[Frame]) -> list[tuple[str, str]]:
    """(Response, Message) of every action response, in order."""
    return [
        (get(f, "Response"), get(f, "Message"))
        for f in frames
        if get(f, "Response") and not get(f, "Event")
    ]


def originate_responses(frames: list[Frame]) -> list[tuple[str, str, str]]:
    """(Response, Reason, Channel shape) of every OriginateResponse."""
    norm = primed(frames)
    return [
        (get(f, "Response"), get(f, "Reason"), norm.text(get(f, "Channel")))
        for f in frames
        if get(f, "Event") == "OriginateResponse"
    ]
