"""One queue_log line -> one typed record, with the durations each event carries.

Asterisk writes ``epoch|callid|queue|agent|EVENT|data1|data2|...``. What the data fields
mean depends on the event (fixtures README §20 and Asterisk's queuelog documentation), so
the parser is the one place that knows it: it extracts wait, talk and ring seconds into
fixed columns so that SQL never has to know that EXITWITHKEY keeps its wait in data4.
Unknown (custom, e.g. from the ``QueueLog`` action) events are kept verbatim.
"""

from __future__ import annotations

from typing import NamedTuple

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
_PADDING = [""] * MAX_DATA_FIELDS


class QueueLogLine(NamedTuple):
    """A parsed line, field for field the ``queue_log`` columns after ``file_id``.

    A NamedTuple so the tailer hands lines to ``executemany`` without copying them.
    ``offset`` is the line's byte position in its file; wait/talk/ring are seconds.
    """

    offset: int
    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data1: str = ""
    data2: str = ""
    data3: str = ""
    data4: str = ""
    data5: str = ""
    extra: str = ""
    wait: int | None = None
    talk: int | None = None
    ring: int | None = None

    @property
    def data(self) -> tuple[str, ...]:
        """data1.. as Asterisk wrote them (without the empty padding)."""
        fields = [self.data1, self.data2, self.data3, self.data4, self.data5]
        if self.extra:
            fields.extend(self.extra.split("|"))
        while fields and not fields[-1]:
            fields.pop()
        return tuple(fields)


def _int(data: list[str], index: int) -> int | None:
    """``data[index]`` as an int; negative indexes count from the end. None if absent/bad."""
    try:
        return int(data[index])
    except (IndexError, ValueError):
        return None


def _durations(event: str, data: list[str]) -> tuple[int | None, int | None, int | None]:
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
    data = fields[5:]
    if data == [""]:  # "Events with empty data keep the trailing |"
        data = []
    wait, talk, ring = _durations(event, data)
    padded = data[:MAX_DATA_FIELDS] + _PADDING[len(data) :]
    extra = "|".join(data[MAX_DATA_FIELDS:]) if len(data) > MAX_DATA_FIELDS else ""
    return QueueLogLine._make((offset, epoch, *fields[1:5], *padded, extra, wait, talk, ring))
