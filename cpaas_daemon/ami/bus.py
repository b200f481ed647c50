"""Fan-out of AMI events to the daemon's consumers (tracker, CDR ingest, dialer, stats).

Handlers are plain synchronous callables so dispatch costs one function call each (the
target is 50k events/s on one core); a handler that needs I/O queues the work itself.
A failing handler is logged and never stops the others or the reader.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

import structlog

log = structlog.get_logger(__name__)

Event = Mapping[str, str]
EventHandler = Callable[[Event], None]

ANY = "*"


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = defaultdict(list)

    def subscribe(self, handler: EventHandler, *names: str) -> None:
        """Call ``handler`` for each event named in ``names`` (or every event with ``*``)."""
        for name in names or (ANY,):
            self._handlers[name].append(handler)

    def unsubscribe(self, handler: EventHandler) -> None:
        for handlers in self._handlers.values():
            if handler in handlers:
                handlers.remove(handler)

    def publish(self, event: Event) -> None:
        name = event.get("Event", "")
        for handler in (*self._handlers.get(name, ()), *self._handlers.get(ANY, ())):
            try:
                handler(event)
            except Exception:
                log.exception("ami.handler_failed", ami_event=name, handler=repr(handler))
