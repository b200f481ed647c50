"""Record a reference trace from the real Asterisk, the way ``tests/traces/`` was made.

``python -m tests.real_asterisk.record_trace atxfer_click2call`` starts an
:class:`~tests.real_asterisk.rig.AsteriskRig` (the project's dialplan, Asterisk 22 from
``../shared/asterisk``), drives the scenario with plain AMI actions over a raw socket and
writes ``tests/traces/<scenario>.ami.jsonl`` (every frame, byte-exact, with its receive
time), ``<scenario>.ami.txt`` (readable, VarSet left out) and ``<scenario>.cdr.csv`` (the
lines the scenario appended to Master.csv). The simulator is then made to match the trace,
never the other way round.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness import free_port
from tests.real_asterisk.rig import AMI_SECRET, AMI_USER, AsteriskRig, locate

TRACES = Path(__file__).resolve().parents[1] / "traces"


@dataclass
class Recorder:
    """One AMI connection whose every frame is kept with its time."""

    scenario: str
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    start: float = field(default_factory=time.time)
    frames: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _sent: int = 0

    def _keep(self, direction: str, raw: str) -> None:
        now = time.time()
        self.frames.append(
            {"seq": len(self.frames), "dir": direction, "t": round(now, 6),
             "rel": round(now - self.start, 6), "raw": raw}
        )  # fmt: skip

    async def read(self) -> None:
        """Keep every frame after the banner until EOF."""
        buffer = b""
        while chunk := await self.reader.read(65536):
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                raw, buffer = buffer.split(b"\r\n\r\n", 1)
                async with self._changed:
                    self._keep("recv", raw.decode("latin-1") + "\r\n\r\n")
                    self._changed.notify_all()
        async with self._changed:
            self._keep("eof", "")
            self._changed.notify_all()

    def banner(self, line: str) -> None:
        """The banner, a single line."""
        self._keep("recv", line)

    def send(self, action: str, **fields: str) -> str:
        """Send an action with a scenario-numbered ActionID; returns the ActionID."""
        self._sent += 1
        action_id = f"{self.scenario}-{self._sent:03d}"
        lines = [f"Action: {action}", f"ActionID: {action_id}"]
        lines += [f"{key.replace('_', '')}: {value}" for key, value in fields.items()]
        raw = "\r\n".join(lines) + "\r\n\r\n"
        self._keep("send", raw)
        self.writer.write(raw.encode("latin-1"))
        return action_id

    def received(self) -> list[dict[str, str]]:
        """Received frames as dicts (first value of a repeated key)."""
        result = []
        for frame in self.frames:
            if frame["dir"] != "recv":
                continue
            fields: dict[str, str] = {}
            for line in str(frame["raw"]).split("\r\n"):
                key, sep, value = line.partition(": ")
                if sep:
                    fields.setdefault(key, value)
            result.append(fields)
        return result

    async def wait(
        self, predicate: Callable[[dict[str, str]], bool], within: float = 40
    ) -> dict[str, str]:
        """The first received frame for which ``predicate`` holds."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: any(map(predicate, self.received())))
        return next(f for f in self.received() if predicate(f))

    async def idle(self, within: float = 60) -> None:
        """Until every channel the scenario created has hung up (and an Originate that
        created none has answered)."""

        def all_gone(_: dict[str, str]) -> bool:
            names = Counter(f.get("Event") for f in self.received())
            replied = names["OriginateResponse"] >= sent
            return replied and names["Newchannel"] == names["Hangup"]

        sent = sum("Action: Originate" in str(f["raw"]) for f in self.frames if f["dir"] == "send")

        await self.wait(all_gone, within)


Scenario = Callable[[Recorder], Awaitable[None]]


def set_templates(rec: Recorder) -> None:
    """The dial templates the daemon sets as globals at login, pointing at the rig's phones."""
    for name in ("CPAAS_EXTENSION_TEMPLATE", "CPAAS_OUTBOUND_TEMPLATE"):
        rec.send("Setvar", Variable=name, Value="Local/{number}@sim-endpoints")


def originate_click2call(rec: Recorder, agent: str, customer: str, **extra: str) -> None:
    """The Originate the daemon sends for a click-to-call (recording off)."""
    variables = {
        "__CPAAS_REQUEST_ID": f"1700000000000000{agent[-2:]}{customer[-2:]}",
        "CPAAS_RECORD": "off",
        "CPAAS_DEST_DIAL": f"Local/{customer}@sim-endpoints",
        "CPAAS_RING_TIMEOUT": "20",
        **extra,
    }
    rec.send(
        "Originate",
        Channel=f"Local/{agent}@sim-endpoints",
        Context="cpaas-click2call",
        Exten=customer,
        Priority="1",
        CallerID="15168148111",
        Timeout="8000",
        Variable=",".join(f"{k}={v}" for k, v in variables.items()),
        Async="true",
    )


async def atxfer_click2call(rec: Recorder) -> None:
    """A click-to-call as the daemon places it (agent leg originated into cpaas-click2call,
    the customer dialled with option T), then ``Atxfer`` of the agent leg to extension 1001
    by [cpaas-transfer], then ``Hangup`` of the agent once the target answered."""
    rec.notes += [
        "Atxfer of the transferer in the click-to-call shape. Globals as the daemon sets them",
        "(Setvar CPAAS_EXTENSION_TEMPLATE/CPAAS_OUTBOUND_TEMPLATE = Local/{number}@sim-endpoints),",
        "then Originate Channel Local/919979270019@sim-endpoints (answers, stays up) into",
        "cpaas-click2call 918000680029 (answers, stays up) with the daemon's variables and",
        "__SIM_WAIT=8. Once both legs are in the bridge: Atxfer Channel=<agent ;1, the Dial's",
        "caller> Context cpaas-transfer Exten 1001. When the consultation's Dial to",
        "Local/1001@sim-endpoints is answered, 3 s later: Hangup of the agent ;1 (Cause 16),",
        "which completes the transfer. 1001 hangs up 8 s after it answered.",
    ]
    set_templates(rec)
    originate_click2call(rec, "919979270019", "918000680029", __SIM_WAIT="8")
    end = await rec.wait(lambda f: f.get("Event") == "DialEnd" and f.get("DialStatus") == "ANSWER"
                         and f.get("Channel", "").startswith("Local/919979270019@"))  # fmt: skip
    for name in (end["Channel"], end["DestChannel"]):
        await rec.wait(lambda f, n=name: f.get("Event") == "BridgeEnter" and f.get("Channel") == n)
    await asyncio.sleep(1)
    rec.send("Atxfer", Channel=end["Channel"], Context="cpaas-transfer", Exten="1001")
    await rec.wait(
        lambda f: (
            f.get("Event") == "DialEnd"
            and f.get("DialStatus") == "ANSWER"
            and f.get("DestChannel", "").startswith("Local/1001@sim-endpoints-")
        )
    )
    await asyncio.sleep(3)  # not 2: every leg then bills clear of a 2 s rounding edge
    rec.send("Hangup", Channel=end["Channel"], Cause="16")
    await rec.idle()
    await asyncio.sleep(1)  # late Cdr events


# Each (agent, customer) pair of tests/click2call_matrix.py: numbers act by their last digit.
MATRIX_PAIRS = [
    ("919979270019", "918000680020"), ("919979270014", "918000680020"),
    ("919979270015", "918000680020"), ("919979270016", "918000680020"),
    ("919979270018", "918000680020"), ("919979270019", "918000680024"),
    ("919979270019", "918000680025"), ("919979270019", "918000680026"),
    ("919979270019", "918000680028"), ("919979270010", "918000680026"),
]  # fmt: skip


async def click2call_cdr_defaults(rec: Recorder) -> None:
    """Every click-to-call outcome on a PBX with Asterisk's own cdr.conf defaults."""
    rec.notes += [
        "The click-to-call matrix (tests/click2call_matrix.py) on a rig whose cdr.conf has",
        "Asterisk's defaults: unanswered = no, congestion = no. Setvar of the templates, then",
        "one Originate per (agent, customer) pair (Timeout 8000, CPAAS_RING_TIMEOUT 5), each",
        "once every channel of the one before has hung up; then an",
        "abandoned queue call (Originate Local/5550200@inbound-support, Application Wait 8:",
        "its members ring and never answer). Which CDRs are written, and with what disposition.",
    ]
    set_templates(rec)
    for agent, customer in MATRIX_PAIRS:
        originate_click2call(rec, agent, customer, CPAAS_RING_TIMEOUT="5")
        await rec.idle()
    rec.send(
        "Originate", Channel="Local/5550200@inbound-support", Application="Wait", Data="8",
        CallerID="5550200", Timeout="30000", Async="true",
    )  # fmt: skip
    await rec.idle()
    await asyncio.sleep(1)  # late Cdr events


SCENARIOS: dict[str, Scenario] = {
    "atxfer_click2call": atxfer_click2call,
    "click2call_cdr_defaults": click2call_cdr_defaults,
}
RIG_OPTIONS: dict[str, dict[str, bool]] = {"click2call_cdr_defaults": {"cdr_unanswered": False}}


async def record(name: str, stem: str) -> None:
    """Start a rig, run the scenario on one AMI connection, write the trace files."""
    rig = AsteriskRig(locate(), free_port(), **RIG_OPTIONS.get(name, {}))
    await rig.start()
    try:
        csv_before = rig.master_csv.read_text() if rig.master_csv.exists() else ""
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.ami_port)
        rec = Recorder(name, reader, writer)
        rec.banner((await reader.readline()).decode("latin-1"))  # a client waits for it
        reading = asyncio.create_task(rec.read())
        rec.send("Login", Username=AMI_USER, Secret=AMI_SECRET)
        await rec.wait(lambda f: f.get("Event") == "FullyBooted")
        await asyncio.sleep(0.5)
        await SCENARIOS[name](rec)
        rec.send("Logoff")
        await asyncio.wait_for(reading, 10)
        csv_after = rig.master_csv.read_text() if rig.master_csv.exists() else ""
    finally:
        await rig.stop()
        rig.remove()
    write(rec, stem, csv_after[len(csv_before) :])


def write(rec: Recorder, stem: str, cdr_lines: str) -> None:
    with (TRACES / f"{stem}.ami.jsonl").open("w") as out:
        out.writelines(json.dumps(frame) + "\n" for frame in rec.frames)
    (TRACES / f"{stem}.cdr.csv").write_text(cdr_lines)
    counts: Counter[str] = Counter()
    varsets = 0
    blocks = []
    for frame in rec.frames:
        raw = str(frame["raw"])
        first = raw.split("\r\n", 1)[0]
        if frame["dir"] == "recv":
            counts[first if first.startswith(("Event:", "Response:")) else "(banner)"] += 1
        if first == "Event: VarSet":
            varsets += 1
            continue
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(float(str(frame["t"]))))
        body = raw.replace("\r\n", "\n").rstrip("\n") or "(connection closed by peer)"
        head = f"--- {frame['dir']} seq={frame['seq']} +{frame['rel']:.6f} {stamp}Z"
        blocks.append(f"{head}\n{body}\n")
    header = [f"# scenario: {rec.scenario}", *(f"# {line}" for line in rec.notes),
              f"# VarSet events are omitted here ({varsets} of them); the byte-exact stream",
              f"# with every frame is in {stem}.ami.jsonl", ""]  # fmt: skip
    summary = ["# ---- summary (received frames by Event / Response) ----"]
    summary += [f"# {name:<40} {count}" for name, count in sorted(counts.items())]
    text = "\n".join(header) + "\n" + "\n".join(blocks) + "\n" + "\n".join(summary) + "\n"
    (TRACES / f"{stem}.ami.txt").write_text(text)


if __name__ == "__main__":
    # python -m tests.real_asterisk.record_trace SCENARIO [FILE_STEM]: Asterisk does not
    # always take the same path, so one scenario may be kept as several recorded runs.
    asyncio.run(record(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else sys.argv[1]))
