"""panoramisk's AMI protocol with a fast read path for events.

Asterisk sends far more events than the daemon listens to (VarSet, Newexten, ... about
four in five frames of a real stream have no subscriber), and panoramisk builds a
case-insensitive ``Message`` for every one. Here an ``Event:`` frame is looked at before
it is parsed:

* if it may belong to a pending action (it carries the ActionID or CommandID of one, as
  the items of a CoreShowChannels listing do) or it is ``Shutdown``, it takes
  panoramisk's own path, unchanged: action matching, connection loss, dispatch;
* else, if the bus has no subscriber for its name, it is only counted;
* else it is parsed straight into the dict :func:`~cpaas_daemon.ami.client.as_event`
  would have built from the Message, and published.

Every other frame (responses, the banner) takes panoramisk's path. Events are counted
once per chunk read, not once each.
"""

from __future__ import annotations

import os
import re
from typing import Any

from panoramisk import utils
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.metrics import Metrics

_ACTION_ID = re.compile(r"^(?:actionid|commandid): ([^\r\n]*)", re.IGNORECASE | re.MULTILINE)


def parse_event(frame: str) -> dict[str, str] | None:
    """An ``Event:`` frame as the dict ``as_event(Message.from_line(frame))`` returns.

    Repeated headers are joined by newlines, and the Message's empty ``content`` comes
    last, as there. None when panoramisk's parse would differ from this plain one (two
    header names equal but for case, a ``Result`` header, which it un-quotes, or a
    ``Content`` header): the caller then takes panoramisk's path.
    """
    event: dict[str, str] = {}
    for line in frame.split(utils.EOL):
        key, sep, value = line.partition(": ")
        if sep:
            event[key] = f"{event[key]}\n{value}" if key in event else value
    lowered = {key.lower() for key in event}
    if len(lowered) != len(event) or "result" in lowered or "content" in lowered:
        return None
    event["content"] = ""
    return event


class EventProtocol(AMIProtocol):
    """Set ``bus`` and ``metrics`` after the connection is made (``AmiClient`` does)."""

    version: str | None  # set by panoramisk's connection_made
    bus: EventBus | None = None
    metrics: Metrics | None = None

    def data_received(self, data: bytes) -> None:
        bus, metrics = self.bus, self.metrics
        if bus is None or metrics is None or getattr(self.factory, "save_stream", None):
            super().data_received(data)
            return
        text = data.decode(getattr(self, "encoding", "ascii"), "ignore")
        if self.version is None and text.startswith("Asterisk Call Manager/"):
            banner, _, _ = text.partition(utils.EOL)
            self.version = banner.partition("/")[2].strip()
            self.log.info("protocol version: '%s'", self.version)
        if self.queue:
            text = self.queue.popleft() + text
        eol = utils.EOL
        frames = text.split(eol + eol)
        self.queue.append(frames.pop())
        wants, publish = bus.wants, bus.publish
        # A frame can only belong to a pending action if it contains that action's id, so
        # the exact (and dearer) ActionID/CommandID search runs only on frames holding the
        # ids' common prefix (ours share one): removals during this chunk keep it valid.
        pending = None
        if self.responses:
            pending = os.path.commonprefix(list(self.responses))  # noqa: RUF071 - by character
        counted = 0
        try:
            for raw in frames:
                frame = raw.strip()
                if frame.startswith("Event: ") and not (
                    pending is not None and pending in frame and self._for_action(frame)
                ):
                    end = frame.find(eol)
                    name = frame[7:] if end < 0 else frame[7:end]
                    if name.lower() != "shutdown":
                        if not wants(name):
                            counted += 1
                            continue
                        event = parse_event(frame)
                        if event is not None:
                            counted += 1
                            publish(event)
                            continue
                message = Message.from_line(frame)
                if message is not None:
                    self.handle_message(message)
        finally:
            if counted:
                metrics.ami_events.inc(counted)

    def _for_action(self, frame: str) -> bool:
        """Whether the frame names a pending action (panoramisk then routes it there)."""
        responses: dict[Any, Any] = self.responses
        return any(found in responses for found in _ACTION_ID.findall(frame))
