"""What a batch of queue_log lines does to ``queue_calls`` and its daily rollup, in Python.

The rows are merged here, once per (call, queue) and batch, and written with one
``executemany`` per table, instead of five set-based upserts that each re-read the batch.
The result is the one those upserts gave (docs/queue-log-and-reports.md, "Per-call
rows"): within a batch the lines of one call are applied in lifecycle order, DID, then
ENTERQUEUE, then CONNECT, then the answered ends, then the unanswered ends, each group in
file order, and every field follows the upsert that owned it.

:func:`plan` groups a batch's lines per call; :func:`merge` applies them to the rows
already stored for those calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cpaas_daemon.queue_log.parser import (
    ANSWERED_END,
    MEMBER_NAME_EVENTS,
    UNANSWERED_END,
    QueueLogLine,
)

DAY = 86400
HOUR = 3600
HOLD_BUCKETS = (15, 30, 45, 60, 75, 90)
"""answered_calls_by_holdtime's limits (seconds); bucket n is "within HOLD_BUCKETS[n-1]"."""
HOLD_BUCKET_LAST = len(HOLD_BUCKETS) + 1  # "+90 secs"
REPORTED = ("answered", "unanswered")
HOURLY_DIMENSIONS = {"answered": ("queue", "agent", "event", "hold"), "unanswered": ("queue",)}
"""What ``queue_calls_hourly`` keeps per status: the groupings the reports have (answered
by queue, agent, event and holdtime; unanswered by queue), so an hour holds ~100 rows
rather than one per (queue, agent, event, hold) combination."""

# The queue_calls columns, in table order; a row is a list of them.
COLUMNS = (
    "callid",
    "queue",
    "enter_epoch",
    "end_epoch",
    "status",
    "event",
    "agent",
    "callerid",
    "url",
    "did",
    "position",
    "end_position",
    "wait",
    "ring",
    "talk",
)
(
    CALLID,
    QUEUE,
    ENTER,
    END,
    STATUS,
    EVENT,
    AGENT,
    CALLERID,
    URL,
    DID,
    POSITION,
    END_POSITION,
    WAIT,
    RING,
    TALK,
) = range(len(COLUMNS))

_STAGE_DID, _STAGE_ENTER, _STAGE_CONNECT, _STAGE_ANSWERED, _STAGE_UNANSWERED = range(5)
_STAGES = {
    "DID": _STAGE_DID,
    "ENTERQUEUE": _STAGE_ENTER,
    "CONNECT": _STAGE_CONNECT,
    **dict.fromkeys(ANSWERED_END, _STAGE_ANSWERED),
    **dict.fromkeys(UNANSWERED_END, _STAGE_UNANSWERED),
}
_SQL_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)

Key = tuple[str, str]
_K = TypeVar("_K", bound=tuple[object, ...])
Row = list[object]


def sql_int(text: str) -> int:
    """``CAST(text AS INTEGER)`` as SQLite computes it: the longest integer prefix (after
    leading spaces), 0 when there is none, clamped to 64 bits."""
    match = _SQL_INT.match(text)
    if match is None:
        return 0
    return max(_INT64_MIN, min(_INT64_MAX, int(match.group(1))))


def hold_bucket(wait: int) -> int:
    """The service-level bucket of a holdtime, as reports' SQL computes it."""
    return min(max((wait + 14) // 15, 1), HOLD_BUCKET_LAST)


@dataclass(frozen=True)
class Plan:
    """A batch's effect, independent of what is stored: per call, the lines to apply in
    order; the queue and agent names and (agent, queue) pairs it mentions."""

    calls: dict[Key, list[QueueLogLine]]
    queues: list[str]
    agents: list[str]
    agent_queues: list[tuple[str, str]]


def plan(lines: Iterable[QueueLogLine]) -> Plan:
    staged: tuple[list[QueueLogLine], ...] = ([], [], [], [], [])
    queues: set[str] = set()
    agents: dict[str, None] = {}  # first occurrence order
    pairs: dict[tuple[str, str], None] = {}
    stages = _STAGES
    member_events = MEMBER_NAME_EVENTS
    for line in lines:
        event = line.event
        stage = stages.get(event)
        if stage is not None:
            staged[stage].append(line)
        queue = line.queue
        queues.add(queue)
        if event in member_events:
            agent = line.agent
            if agent and agent != "NONE":
                agents[agent] = None
                if queue:
                    pairs[(agent, queue)] = None
    calls: dict[Key, list[QueueLogLine]] = {}
    for group in staged:
        for line in group:
            key = (line.callid, line.queue)
            found = calls.get(key)
            if found is None:
                calls[key] = [line]
            else:
                found.append(line)
    queues.discard("")
    # New queue names get their ids in name order (the statement this replaces read them
    # through the (queue, epoch) index); agents in the order they first appear.
    return Plan(calls, sorted(queues), list(agents), list(pairs))


def _apply(row: Row | None, line: QueueLogLine) -> Row:
    event = line.event
    stage = _STAGES[event]
    if stage == _STAGE_DID:
        if row is None:
            row = _new(line, line.epoch, None, "pending", event)
        row[DID] = line.data1
        return row
    if stage == _STAGE_ENTER:
        position = sql_int(line.data3)
        if row is None:
            row = _new(line, line.epoch, None, "waiting", event)
            row[URL], row[CALLERID], row[POSITION] = line.data1, line.data2, position
            return row
        if row[STATUS] == "pending":
            row[STATUS], row[EVENT] = "waiting", "ENTERQUEUE"
        row[ENTER], row[URL], row[CALLERID], row[POSITION] = (
            line.epoch,
            line.data1,
            line.data2,
            position,
        )
        return row
    wait = line.wait or 0
    if stage == _STAGE_CONNECT:
        ring = line.ring or 0
        if row is None:
            row = _new(line, line.epoch - wait, None, "answered", event)
            row[AGENT], row[WAIT], row[RING] = line.agent, wait, ring
            return row
        if row[END] is None:
            row[EVENT] = "CONNECT"
        row[STATUS], row[AGENT], row[WAIT], row[RING] = "answered", line.agent, wait, ring
        return row
    if stage == _STAGE_ANSWERED:
        talk = line.talk or 0
        if row is None:
            row = _new(line, line.epoch - wait - talk, line.epoch, "answered", event)
            row[AGENT], row[WAIT], row[TALK] = line.agent, wait, talk
            return row
        row[STATUS], row[EVENT], row[END] = "answered", event, line.epoch
        row[AGENT], row[WAIT], row[TALK] = line.agent, wait, talk
        return row
    end_position = sql_int(line.data2 if event == "EXITWITHKEY" else line.data1)
    if row is None:
        row = _new(line, line.epoch - wait, line.epoch, "unanswered", event)
        row[WAIT], row[END_POSITION] = wait, end_position
        return row
    row[STATUS], row[EVENT], row[END] = "unanswered", event, line.epoch
    row[WAIT], row[END_POSITION] = wait, end_position
    return row


def _new(line: QueueLogLine, enter: int, end: int | None, status: str, event: str) -> Row:
    """A row with the table's defaults for the columns an insert does not set."""
    return [line.callid, line.queue, enter, end, status, event, "", "", "", "", None, None, 0, 0, 0]


def apply(row: Row | None, lines: Sequence[QueueLogLine]) -> Row:
    """``row`` (None: not stored yet) after ``lines``, already in lifecycle order."""
    for line in lines:
        row = _apply(row, line)
    assert row is not None
    return row


RollupKey = tuple[int, str, str, str, str, int]


def rollup_key(row: Sequence[object]) -> RollupKey | None:
    """The ``queue_calls_daily`` row a ``queue_calls`` row counts in (None: in none)."""
    status = row[STATUS]
    if status not in REPORTED:
        return None
    enter = row[ENTER]
    wait = row[WAIT]
    assert isinstance(enter, int)
    assert isinstance(wait, int)
    return (
        enter - enter % DAY,
        str(status),
        str(row[QUEUE]),
        str(row[AGENT]),
        str(row[EVENT]),
        hold_bucket(wait),
    )


HourlyKey = tuple[str, str, int, str]


def hourly_keys(daily: RollupKey, enter: int) -> list[HourlyKey]:
    """The ``queue_calls_hourly`` rows a call counts in, given its ``queue_calls_daily`` key
    and enter time: (status, dimension, hour, value), one per dimension its status is
    reported by."""
    _, status, queue, agent, event, hold = daily
    hour = enter - enter % HOUR
    values = {"queue": queue, "agent": agent, "event": event, "hold": str(hold)}
    return [(status, dimension, hour, values[dimension]) for dimension in HOURLY_DIMENSIONS[status]]


@dataclass
class Changes:
    """What to write: new rows, changed rows, and the daily and hourly rollups' deltas."""

    inserts: list[Row]
    updates: list[Row]
    rollup: dict[RollupKey, list[int]]
    hourly: dict[HourlyKey, list[int]]


def merge(calls: dict[Key, list[QueueLogLine]], stored: dict[Key, Row]) -> Changes:
    inserts: list[Row] = []
    updates: list[Row] = []
    rollup: dict[RollupKey, list[int]] = {}
    hourly: dict[HourlyKey, list[int]] = {}
    for key, lines in calls.items():
        old = stored.get(key)
        new = apply(None if old is None else list(old), lines)
        if old is None:
            inserts.append(new)
        elif new != old:
            updates.append(new)
        else:
            continue
        if old is not None:
            _count_call(rollup, hourly, old, -1)
        _count_call(rollup, hourly, new, 1)
    return Changes(inserts, updates, rollup, hourly)


def _count_call(
    rollup: dict[RollupKey, list[int]], hourly: dict[HourlyKey, list[int]], row: Row, sign: int
) -> None:
    """Count ``row`` in (or out of, sign -1) both rollups' keys, if it is reported."""
    daily = rollup_key(row)
    if daily is None:
        return
    enter = row[ENTER]
    assert isinstance(enter, int)
    _count(rollup, daily, row, sign)
    for key in hourly_keys(daily, enter):
        _count(hourly, key, row, sign)


def _count(rollup: dict[_K, list[int]], key: _K, row: Row, sign: int) -> None:
    """Add (sign 1) or take away (-1) ``row``'s call, wait and talk at ``key``."""
    wait, talk = row[WAIT], row[TALK]
    assert isinstance(wait, int)
    assert isinstance(talk, int)
    sums = rollup.get(key)
    if sums is None:
        rollup[key] = [sign, sign * wait, sign * talk]
    else:
        sums[0] += sign
        sums[1] += sign * wait
        sums[2] += sign * talk
