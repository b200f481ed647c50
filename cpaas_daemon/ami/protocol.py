"""The daemon's own AMI protocol: framing, action/answer matching and a fast read path
for events, over panoramisk's frame parser (``Message.from_line``).

It replaces panoramisk's ``AMIProtocol`` + ``Manager`` pair, whose pending actions live
in attributes the daemon had to reach into (``responses``, ``awaiting_actions``, a
Message's ``_store``) to enforce "never re-send": here pending actions are this class's
own, fail with :class:`AmiUnavailable` when the link drops, and are never re-sent.
Whether an answer is a list is known from the action (:mod:`cpaas_daemon.ami.actions`),
never guessed from the reply's text.

Asterisk sends far more events than the daemon listens to (VarSet, Newexten, ... about
four in five frames of a real stream have no subscriber), and panoramisk builds a
case-insensitive ``Message`` for every one. Here an ``Event:`` frame is looked at before
it is parsed:

* if it may belong to a pending action (it carries the ActionID of one, as the items of
  a CoreShowChannels listing do) or it is ``Shutdown``, it takes the full path: parse,
  action matching, connection loss, publish;
* else, if the bus has no subscriber for its name, it is only counted;
* else it is parsed straight into the dict :func:`as_event` would have built from
  panoramisk's Message, and published.

Every other frame (responses) takes the full path. Events are counted
once per chunk read, not once each.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from panoramisk.message import Message

from cpaas_daemon.ami.actions import AmiAction, Header
from cpaas_daemon.ami.bus import EventSink
from cpaas_daemon.ami.errors import AmiUnavailable
from cpaas_daemon.metrics import Metrics

log = structlog.get_logger(__name__)

EOL = "\r\n"
_ACTION_ID = re.compile(r"^actionid: ([^\r\n]*)", re.IGNORECASE | re.MULTILINE)

Event = dict[str, str]
Answer = Event | list[Event]


def as_event(message: Message) -> Event:
    """panoramisk's Message as a plain dict with the original header case (its public
    mapping interface keeps it); repeated headers joined by newlines."""
    return {
        key: "\n".join(value) if isinstance(value, list) else value
        for key, value in message.items()
    }


def parse_event(frame: str) -> dict[str, str] | None:
    """An ``Event:`` frame as the dict ``as_event(Message.from_line(frame))`` returns.

    Repeated headers are joined by newlines, and the Message's empty ``content`` comes
    last, as there. None when panoramisk's parse would differ from this plain one (two
    header names equal but for case, a ``Result`` header, which it un-quotes, or a
    ``Content`` header): the caller then takes panoramisk's path.
    """
    event: dict[str, str] = {}
    for line in frame.split(EOL):
        key, sep, value = line.partition(": ")
        if sep:
            event[key] = f"{event[key]}\n{value}" if key in event else value
    lowered = {key.lower() for key in event}
    if len(lowered) != len(event) or "result" in lowered or "content" in lowered:
        return None
    event["content"] = ""
    return event


def parse_frame(frame: str) -> Event | None:
    """Any frame as ``as_event(Message.from_line(frame))``: the plain parse where it gives
    the same dict (most answers, list items), panoramisk's where it would not (a body
    after ``Response: Follows``, the cases :func:`parse_event` declines). None: neither
    an event nor an answer."""
    if not frame.startswith(("Response: Follows", "Response: Fail")):
        parsed = parse_event(frame)
        if parsed is not None:
            return parsed if "Event" in parsed or "Response" in parsed else None
    message = Message.from_line(frame)
    return None if message is None else as_event(message)


@dataclass
class _Pending:
    """An action on the wire, waiting for its answer (and, for a list, its items)."""

    as_list: bool
    future: asyncio.Future[Answer]
    items: list[Event] = field(default_factory=list)

    def add(self, message: Event) -> bool:
        """Take one frame naming this action; True once the answer is complete."""
        if not self.as_list or message.get("Response") in ("Error", "Fail", "Failure"):
            self.future.set_result(message)
            return True
        self.items.append(message)
        if len(self.items) > 1 and (
            message.get("Event", "").endswith("Complete")
            or message.get("EventList", "").lower() == "complete"
        ):
            self.future.set_result(self.items)
            return True
        return False


def encode(action: AmiAction, action_id: str) -> bytes:
    """The action's frame: ``Action`` first, a list header repeated once per value."""
    fields: dict[str, Header] = {**action.fields(), "ActionID": action_id}
    lines = [
        f"{key}: {item}"
        for key, value in fields.items()
        for item in ([value] if isinstance(value, str) else value)
    ]
    return (EOL.join(lines) + EOL + EOL).encode()


class AmiProtocol(asyncio.Protocol):
    """One AMI connection. Events are published on ``bus``; :meth:`send` returns a future
    for an action's answer; ``on_lost`` is told once when the link ends (socket closed,
    or Asterisk's ``Shutdown`` event)."""

    def __init__(
        self, bus: EventSink, metrics: Metrics, on_lost: Callable[[BaseException | None], None]
    ) -> None:
        self.bus = bus
        self.metrics = metrics
        self.version: str | None = None
        self.transport: asyncio.Transport | None = None
        self._on_lost = on_lost
        self._pending: dict[str, _Pending] = {}
        self._rest = ""
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, action: AmiAction, action_id: str) -> asyncio.Future[Answer]:
        """Write the action; the future resolves with its answer (a list of frames for a
        list action) or fails with :class:`AmiUnavailable` if the link ends first."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        if self._closed or self.transport is None:
            future.set_exception(AmiUnavailable("PBX is not connected", sent=False))
            return future
        self._pending[action_id] = _Pending(action.as_list, future)
        self.transport.write(encode(action, action_id))
        return future

    def forget(self, action_id: str) -> None:
        """No answer is awaited any more (timed out): a late one is dropped."""
        self._pending.pop(action_id, None)

    def close(self) -> None:
        """Close the link; pending actions fail now and are never re-sent."""
        self._lose(None)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lose(exc)

    def _lose(self, exc: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        pending, self._pending = self._pending, {}
        for action in pending.values():
            if not action.future.done():
                action.future.set_exception(
                    AmiUnavailable("connection to the PBX was lost before it answered", sent=True)
                )
        self._on_lost(exc)

    def data_received(self, data: bytes) -> None:
        text = self._rest + data.decode("utf8", "ignore")
        if self.version is None and text.startswith("Asterisk Call Manager/") and EOL in text:
            banner, _, text = text.partition(EOL)
            self.version = banner.partition("/")[2].strip()
            log.info("ami.banner", version=self.version)
        frames = text.split(EOL + EOL)
        self._rest = frames.pop()
        bus, metrics = self.bus, self.metrics
        wants, publish = bus.wants, bus.publish
        # A frame can only belong to a pending action if it contains that action's id, so
        # the exact (and dearer) ActionID search runs only on frames holding the ids'
        # common prefix (ours share one): removals during this chunk keep it valid.
        pending = None
        if self._pending:
            pending = os.path.commonprefix(list(self._pending))  # noqa: RUF071 - by character
        counted = 0
        try:
            for raw in frames:
                frame = raw.strip()
                if frame.startswith("Event: ") and not (
                    pending is not None and pending in frame and self._for_action(frame)
                ):
                    end = frame.find(EOL)
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
                message = parse_frame(frame)
                if message is not None:
                    counted += self._handle(message)
        finally:
            if counted:
                metrics.ami_events.inc(counted)

    def _handle(self, message: Event) -> int:
        """An answer goes to its action, an event to the bus (returns 1 if it is counted
        as an event). ``Shutdown`` ends the link after it is published."""
        action_id = message.get("ActionID", "")
        action = self._pending.get(action_id)
        if action is not None:
            if action.add(message):
                del self._pending[action_id]
            return 0
        name = message.get("Event")
        if name is None:
            return 0  # an answer nobody waits for any more (timed out)
        self.bus.publish(message)
        if name.lower() == "shutdown":
            self.close()
        return 1

    def _for_action(self, frame: str) -> bool:
        """Whether the frame names a pending action (it then goes to that action)."""
        return any(found in self._pending for found in _ACTION_ID.findall(frame))
