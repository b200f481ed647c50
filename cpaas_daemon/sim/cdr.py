"""Call detail records as cdr_manager (``Event: Cdr``) and cdr_csv (Master.csv) write them.

Asterisk keeps one CDR per channel leg ("A party"); the callee of a Dial/Queue is the B side
(``DestinationChannel``) of the caller's CDR rather than a record of its own. A dial attempt
that fails is closed as its own record and the caller starts a fresh one, which only survives
if the caller runs more dialplan afterwards.

What is published depends on ``cdr.conf`` (:class:`CdrConf`), as measured on Asterisk 22
(trace ``click2call_cdr_defaults``): with ``unanswered=no`` a record that was not answered
and has no B side is dropped (a first leg that never answered leaves no CDR at all; a failed
dial attempt, which names its callee, stays); with ``congestion=no`` CONGESTION is written
FAILED. The project ships no cdr.conf, so a deployment has Asterisk's defaults (both no);
the reference traces were recorded with both yes.

Durations are *simulated* seconds (real elapsed time divided by ``time_scale``) so a fast test
still sees a 3 s call billed as 3 s; the Start/Answer/End stamps stay real wall-clock time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cpaas_daemon.sim.protocol import Fields

if TYPE_CHECKING:
    from cpaas_daemon.sim.channel import Channel

DIAL_DISPOSITION = {
    "ANSWER": "ANSWERED",
    "BUSY": "BUSY",
    "NOANSWER": "NO ANSWER",
    "CANCEL": "NO ANSWER",
    "CONGESTION": "CONGESTION",
    "CHANUNAVAIL": "FAILED",
}


@dataclass(frozen=True)
class CdrConf:
    """The ``[general]`` settings of cdr.conf that change what is written."""

    unanswered: bool = False  # Asterisk's default
    congestion: bool = False  # Asterisk's default

    def published(self, records: list[Fields]) -> list[Fields]:
        """The records cdr_manager and cdr_csv receive under these settings."""
        return [
            self._disposed(record)
            for record in records
            if self.unanswered
            or dict(record)["Disposition"] == "ANSWERED"
            or dict(record)["DestinationChannel"]
        ]

    def _disposed(self, record: Fields) -> Fields:
        if self.congestion:
            return record
        return [
            (key, "FAILED" if key == "Disposition" and value == "CONGESTION" else value)
            for key, value in record
        ]


@dataclass
class CdrRecord:
    """The open record of one channel plus the closed records of its failed dial attempts."""

    start: float = field(default_factory=time.time)
    answered: float | None = None
    lastapp: str = ""
    lastdata: str = ""
    userfield: str = ""
    dstchannel: str = ""
    unanswered: str = "FAILED"
    dormant: bool = False
    closed: list[Fields] = field(default_factory=list)

    def app(self, name: str, data: str) -> None:
        """A dialplan application ran: it becomes LastApplication and revives a dormant record."""
        self.reopen()
        self.lastapp, self.lastdata = name, data

    def reopen(self) -> None:
        """Revive a dormant record (an application ran, or Queue rings its members again):
        it starts now, answered now if the channel is up (queue retry rounds bill from
        their own start in the traces)."""
        if self.dormant:
            self.start = time.time()
            if self.answered is not None:
                self.answered = self.start
            self.dormant = False


def _stamp(epoch: float | None) -> str:
    return "" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _clid(chan: Channel) -> str:
    return f'"{chan.cid_name}" <{chan.cid_num}>'


def cdr_fields(chan: Channel, rec: CdrRecord, dstchannel: str, disposition: str) -> Fields:
    """The Cdr event body in cdr_manager's field order."""
    end, scale, answered = time.time(), chan.core.scale, rec.answered
    billable = 0 if answered is None else int((end - answered) / scale)
    return [
        ("AccountCode", chan.accountcode),
        ("Source", chan.cid_num),
        ("Destination", chan.exten),
        ("DestinationContext", chan.context),
        ("CallerID", _clid(chan)),
        ("Channel", chan.name),
        ("DestinationChannel", dstchannel),
        ("LastApplication", rec.lastapp),
        ("LastData", rec.lastdata),
        ("StartTime", _stamp(rec.start)),
        ("AnswerTime", _stamp(answered)),
        ("EndTime", _stamp(end)),
        ("Duration", str(int((end - rec.start) / scale))),
        ("BillableSeconds", str(billable)),
        ("Disposition", disposition),
        ("AMAFlags", "DOCUMENTATION"),
        ("UniqueID", chan.uniqueid),
        ("UserField", rec.userfield),
    ]


def close_attempt(chan: Channel, callee: str, dialstatus: str) -> None:
    """A Dial/Queue attempt to ``callee`` ended without a bridge: close it as its own record."""
    rec = chan.cdr
    if rec is None:
        return
    disposition = DIAL_DISPOSITION.get(dialstatus, "FAILED")
    rec.closed.append(cdr_fields(chan, rec, callee, disposition))
    rec.dormant, rec.dstchannel = True, ""


def new_peer(chan: Channel, dstchannel: str) -> None:
    """The bridge peer of an answered party changed (attended transfer): close the record with
    the old peer and go on in a fresh one with the new peer, starting (and answered) now."""
    rec = chan.cdr
    if rec is None:
        return
    disposition = "ANSWERED" if rec.answered is not None else rec.unanswered
    rec.closed.append(cdr_fields(chan, rec, rec.dstchannel, disposition))
    rec.start = time.time()
    rec.answered = rec.start if rec.answered is not None else None
    rec.dstchannel = dstchannel


def final_records(chan: Channel) -> list[Fields]:
    """All records of a channel that is hanging up, oldest first."""
    rec = chan.cdr
    if rec is None:
        return []
    records = list(rec.closed)
    if not rec.dormant:
        disposition = "ANSWERED" if rec.answered is not None else rec.unanswered
        records.append(cdr_fields(chan, rec, rec.dstchannel, disposition))
    return records


def _csv_quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def csv_line(record: Fields) -> str:
    """One Master.csv line: text quoted, duration/billsec bare, empty answer time unquoted."""
    out: list[str] = []
    for key, value in record:
        if key in ("Duration", "BillableSeconds") or (key == "AnswerTime" and not value):
            out.append(value)
        else:
            out.append(_csv_quote(value))
    return ",".join(out) + "\n"


def append_csv(path: Path, records: list[Fields]) -> None:
    """Append records to Master.csv (cdr_csv never rotates it)."""
    with path.open("a", encoding="latin-1") as handle:
        handle.writelines(csv_line(record) for record in records)
