"""One AMI TCP session: framing, authentication state and event delivery.

While a synchronous Originate is pending, Asterisk's session thread is blocked, so events for
that session pile up and are flushed after the Response; ``blocked`` models exactly that.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from cpaas_daemon.sim.protocol import BANNER, Fields, format_frame

_session_ids = itertools.count(0x7FCEB0001000, 0x10)


def event_tv(epoch: float | None = None) -> str:
    """Security-event time stamps: ``2026-11-22T16:01:39.716+0000``."""
    now = time.time() if epoch is None else epoch
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}+0000"


class Session:
    """A connected AMI client."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        read: frozenset[str] | None = None,
    ) -> None:
        self.reader = reader
        self.read = read  # manager.conf read= classes; None is read=all
        self.events: frozenset[str] | None = None  # Login's Events classes; None is "on"
        self.writer = writer
        self.authenticated = False
        self.username = ""
        self.blocked = False
        self.pending: list[Fields] = []
        self.session_id = f"0x{next(_session_ids):x}"
        self.started = time.time()
        local = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        remote = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        self.local_address = f"IPV4/TCP/{local[0]}/{local[1]}"
        self.remote_address = f"IPV4/TCP/{remote[0]}/{remote[1]}"

    def greet(self) -> None:
        """The banner, a single CRLF-terminated line."""
        self.writer.write(BANNER)

    def send(self, fields: Fields) -> None:
        """Write one frame unless the socket is closing."""
        if not self.writer.is_closing():
            self.writer.write(format_frame(fields))

    def on_event(self, frame: Fields) -> None:
        """Bus listener: only logged-in sessions get events; a blocked one queues them."""
        if not self.authenticated or not self.reads(frame):
            return
        if self.blocked:
            self.pending.append(frame)
        else:
            self.send(frame)

    def reads(self, frame: Fields) -> bool:
        """Whether both the user's read= classes and the classes asked for at Login hold
        every class of the event's Privilege, as manager.c checks (``(readperm &
        category) == category && (send_events & category) == category``)."""
        privilege = next((value for key, value in frame if key == "Privilege"), None)
        if privilege is None:
            return True
        classes = set(privilege.split(",")) - {"all"}
        return all(allowed is None or classes <= allowed for allowed in (self.read, self.events))

    def ask_events(self, value: str) -> None:
        """Login's ``Events`` header, read as manager.c's ``strings_to_mask``: absent
        keeps every class, a true word is every class, a false word or ``0`` none, else
        a list of class names (other numeric masks are not modelled: read as none)."""
        word = value.strip().lower()
        if not word:
            return
        if word in ("on", "yes", "true", "y", "t"):
            self.events = None
        elif word.isdigit() or word in ("off", "no", "false", "n", "f"):
            self.events = frozenset()
        else:
            self.events = frozenset(part.strip() for part in word.split(","))

    def unblock(self) -> None:
        """Flush the events held back during a synchronous action."""
        self.blocked = False
        for frame in self.pending:
            self.send(frame)
        self.pending.clear()

    def security_fields(self) -> Fields:
        """Common header of security events."""
        return [
            ("EventTV", event_tv()),
            ("Severity", "Informational"),
            ("Service", "AMI"),
            ("EventVersion", "1"),
            ("AccountID", self.username),
            ("SessionID", self.session_id),
            ("LocalAddress", self.local_address),
            ("RemoteAddress", self.remote_address),
        ]

    def close(self) -> None:
        """Close the TCP connection (EOF for the client)."""
        if not self.writer.is_closing():
            self.writer.close()
