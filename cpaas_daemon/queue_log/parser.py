"""One queue_log line -> one typed record, with the durations each event carries.

Asterisk writes ``epoch|callid|queue|agent|EVENT|data1|data2|...``. What the data fields
mean depends on the event (fixtures README §20 and Asterisk's queuelog documentation), so
the parser is the one place that knows it: it extracts wait, talk and ring seconds into
fixed columns so that SQL never has to know that EXITWITHKEY keeps its wait in data4.
Unknown (custom, e.g. from the ``QueueLog`` action) events are kept verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DATA_FIELDS = 5  # data1..data5 get columns (Asternic's info1..info5); the rest is joined

ANSWERED_END = frozenset(
    {"COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"}
)
UNANSWERED_END = frozenset({"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"})
MEMBER_NAME_EVENTS = frozenset(
    {
        "CONNECT",
        "RINGNOANSWER",
        "RINGCANCELED",
        "PAUSE",
        "UNPAUSE",
        "PAUSEALL",
        "UNPAUSEALL",
        "AGENTLOGIN",
        "AGENTLOGOFF",
        "AGENTDUMP",
        *ANSWERED_END,
    }
)
"""Events whose agent field is the member *name* (ADDMEMBER/PENALTY carry the interface)."""


@dataclass(frozen=True, slots=True)
class QueueLogLine:
    """A parsed line; ``offset`` is its byte position in the file it came from."""

    offset: int
    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]
    wait: int | None = None
    talk: int | None = None
    ring: int | None = None

    def row(self) -> tuple[object, ...]:
        """Column values for ``queue_log`` after ``file_id`` (see migration 0300)."""
        padded = (*self.data[:MAX_DATA_FIELDS], *("",) * (MAX_DATA_FIELDS - len(self.data)))
        extra = "|".join(self.data[MAX_DATA_FIELDS:])
        return (
            self.offset,
            self.epoch,
            self.callid,
            self.queue,
            self.agent,
            self.event,
            *padded,
            extra,
            self.wait,
            self.talk,
            self.ring,
        )


def _int(data: tuple[str, ...], index: int) -> int | None:
    """``data[index]`` as an int; negative indexes count from the end. None if absent/bad."""
    try:
        return int(data[index])
    except (IndexError, ValueError):
        return None


def _durations(event: str, data: tuple[str, ...]) -> tuple[int | None, int | None, int | None]:
    """(wait, talk, ring) in seconds for the events that carry them."""
    if event == "CONNECT":  # holdtime|bridged uniqueid|ringtime
        return _int(data, 0), None, _int(data, 2)
    if event in ("COMPLETEAGENT", "COMPLETECALLER"):  # holdtime|calltime|origposition
        return _int(data, 0), _int(data, 1), None
    if event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
        # ...|holdtime|calltime|origposition: the leading fields vary (ext|context,
        # BRIDGE|id, LINK|chan|chan) but the last three never do.
        return _int(data, -3), _int(data, -2), None
    if event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"):
        return _int(data, -1), None, None  # ...|waittime is always last
    if event in ("RINGNOANSWER", "RINGCANCELED"):  # milliseconds
        ms = _int(data, 0)
        return None, None, None if ms is None else round(ms / 1000)
    return None, None, None


def parse_line(text: str, offset: int = 0) -> QueueLogLine | None:
    """Parse one line (without its newline); None when it is not a queue_log line."""
    fields = text.rstrip("\r").split("|")
    if len(fields) < 5 or not fields[4]:
        return None
    try:
        epoch = int(fields[0])
    except ValueError:
        return None
    event = fields[4]
    data = tuple(fields[5:])
    if data == ("",):  # "Events with empty data keep the trailing |"
        data = ()
    wait, talk, ring = _durations(event, data)
    return QueueLogLine(
        offset, epoch, fields[1], fields[2], fields[3], event, data, wait, talk, ring
    )
