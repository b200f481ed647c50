"""Fan-out of AMI events to the daemon's consumers (tracker, CDR ingest, dialer, stats).

Handlers are plain synchronous callables so dispatch costs one function call each (the
target is 50k events/s on one core); a handler that needs I/O queues the work itself.
A failing handler is logged and never stops the others or the reader.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

Event = Mapping[str, str]
EventHandler = Callable[[Event], None]

ANY = "*"

EVENT_CLASS: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "Newchannel", "Newstate", "Hangup", "Rename", "NewAccountCode", "DialBegin",
            "DialEnd", "OriginateResponse",
        ),
        "call",
    ),
    **dict.fromkeys(
        (
            "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "QueueMember",
            "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberStatus", "QueueMemberPause",
            "AgentConnect", "AgentComplete",
        ),
        "agent",
    ),
    "Cdr": "cdr",
    "FullyBooted": "system",
    "Shutdown": "system",
}  # fmt: skip
"""Asterisk's event class (the ``Privilege`` line, manager.c's ``EVENT_FLAG_*``) of each
event the daemon listens to. Login asks only for the classes of the events subscribed
(:meth:`EventBus.event_classes`): Asterisk then never writes the dialplan class (VarSet,
Newexten: about half a real stream) to the daemon, which spared it neither the socket
writes nor the reads. An event missing here makes Login ask for everything, never less."""

ALWAYS = ("Shutdown",)
"""Read by the AMI protocol itself (the PBX is going away), whoever subscribes."""

PBX_KEY = "CpaasPbx"
"""Added to every event by :class:`PbxEvents`: the id of the PBX it came from (Asterisk
sends no header of that name). Consumers that store or key what they see (the tracker,
the CDR ingest) read it; Uniqueids and channel names are unique per PBX only."""


class EventSink(Protocol):
    """What an AMI connection publishes its events to."""

    def wants(self, name: str) -> bool: ...
    def publish(self, event: dict[str, str]) -> None: ...


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = defaultdict(list)
        self._wanted: frozenset[str] = frozenset()
        self._any = False

    def subscribe(self, handler: EventHandler, *names: str) -> None:
        """Call ``handler`` for each event named in ``names`` (or every event with ``*``)."""
        for name in names or (ANY,):
            self._handlers[name].append(handler)
        self._refresh()

    def unsubscribe(self, handler: EventHandler) -> None:
        for handlers in self._handlers.values():
            if handler in handlers:
                handlers.remove(handler)
        self._refresh()

    def wants(self, name: str) -> bool:
        """Whether publishing an event called ``name`` would reach any handler.

        The AMI reader asks this before parsing a frame: most of Asterisk's stream
        (VarSet, Newexten, ...) has no subscriber and is only counted.
        """
        return self._any or name in self._wanted

    def event_classes(self) -> str:
        """The Login ``Events`` value for what is subscribed now: the classes of
        :data:`EVENT_CLASS`, or ``on`` (every class) when a handler takes every event or
        an event whose class is not known here."""
        names = self._wanted | set(ALWAYS)
        if self._any or not names <= EVENT_CLASS.keys():
            return "on"
        return ",".join(sorted({EVENT_CLASS[name] for name in names}))

    def _refresh(self) -> None:
        self._wanted = frozenset(name for name, handlers in self._handlers.items() if handlers)
        self._any = ANY in self._wanted

    def publish(self, event: Event) -> None:
        name = event.get("Event", "")
        for handler in (*self._handlers.get(name, ()), *self._handlers.get(ANY, ())):
            try:
                handler(event)
            except Exception:
                log.exception("ami.handler_failed", ami_event=name, handler=repr(handler))


class PbxEvents:
    """One PBX's door to the shared bus: each event it publishes names its PBX
    (:data:`PBX_KEY`). The AMI reader builds a fresh dict per event, so adding the key
    costs one store."""

    def __init__(self, bus: EventBus, pbx_id: str) -> None:
        self._bus = bus
        self.pbx_id = pbx_id
        self.wants = bus.wants

    def publish(self, event: dict[str, str]) -> None:
        event[PBX_KEY] = self.pbx_id
        self._bus.publish(event)
