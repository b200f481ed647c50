"""Realtime's mapping from the QueueStatus list Asterisk 22 really sent (fixture)."""

from __future__ import annotations

from cpaas_daemon.queue_log.filters import Scope
from cpaas_daemon.queue_log.realtime import realtime_view
from tests.fixtures import ami_frames

TODAY = {
    "sales": {"answered": 2, "unanswered": 0, "abandoned": 0, "avg_wait": 0, "avg_talk": 6},
    "support": {"answered": 0, "unanswered": 2, "abandoned": 2, "avg_wait": 12, "avg_talk": 0},
}


def queuestatus_events() -> list[dict[str, str]]:
    """The frames answering ``QueueStatus`` for all queues (ActionID ...-003)."""
    events = []
    for frame in ami_frames("action_queuestatus"):
        if frame["dir"] != "recv":
            continue
        lines = str(frame["raw"]).strip().split("\r\n")
        fields = dict(
            line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in lines
        )
        if fields.get("ActionID") == "action_queuestatus-003":
            events.append(fields)
    return events


def test_waiting_caller_summary_and_members_from_recorded_queuestatus():
    view = realtime_view(queuestatus_events(), TODAY, Scope())
    assert view["waiting calls"] == {
        "support": {"1": {"calleridNum": "0622222222", "calleridName": "Waiting", "waitTime": "1"}},
        "sales": {},
    }
    support = view["summary"]["queue"]["support"]
    assert (support["Waiting"], support["Agents"], support["Max. wait time"]) == (1, 2, 1)
    assert (support["Abandoned"], support["Abandon Rate"]) == (2, "100.00")
    sales = view["summary"]["queue"]["sales"]
    assert (sales["Agents"], sales["Busy"], sales["Answered"], sales["Avg Duration"]) == (
        2,
        0,
        2,
        6,
    )
    assert view["agents"]["sales"]["Agent 201"] == {
        "interface": "Local/201@agents/n",
        "status": "Not in use",
        "paused": "0",
        "pausedReason": "",
        "penalty": "0",
        "callsTaken": "1",
        "lastCall": "1795363409",
        "inCall": "0",
    }


def test_a_sales_user_sees_only_sales_in_realtime():
    view = realtime_view(queuestatus_events(), TODAY, Scope(frozenset({"sales"})))
    assert list(view["waiting calls"]) == ["sales"]
    assert list(view["summary"]["queue"]) == ["sales"]
    assert list(view["agents"]) == ["sales"]
