"""Login asks Asterisk only for the event classes the daemon listens to."""

from __future__ import annotations

import re

from cpaas_daemon.ami.bus import EVENT_CLASS, EventBus
from tests.fixtures import ASTERISK as TRACES

_EVENT = re.compile(r"^Event: (\w+)\r?\nPrivilege: ([\w,]+)", re.MULTILINE)


def test_each_class_is_the_one_a_real_asterisk_22_sends() -> None:
    """The table agrees with the Privilege lines of the recorded real streams."""
    seen: dict[str, set[str]] = {}
    for trace in TRACES.glob("*.ami.txt"):
        for name, privilege in _EVENT.findall(trace.read_text(encoding="utf-8")):
            seen.setdefault(name, set()).add(privilege)
    recorded = {name: EVENT_CLASS[name] for name in EVENT_CLASS.keys() & seen.keys()}
    assert len(recorded) >= 15  # most of the table is in the traces
    assert {name: seen[name] for name in recorded} == {
        name: {f"{cls},all"} for name, cls in recorded.items()
    }


def test_login_asks_for_the_classes_of_what_is_subscribed() -> None:
    bus = EventBus()
    assert bus.event_classes() == "system"  # Shutdown: the protocol always reads it
    bus.subscribe(lambda event: None, "Hangup", "Cdr")
    assert bus.event_classes() == "call,cdr,system"


def test_an_event_of_unknown_class_or_a_catch_all_asks_for_everything() -> None:
    unknown, catch_all = EventBus(), EventBus()
    unknown.subscribe(lambda event: None, "Hangup", "VarSet")  # never fewer events
    catch_all.subscribe(lambda event: None)
    assert unknown.event_classes() == catch_all.event_classes() == "on"
