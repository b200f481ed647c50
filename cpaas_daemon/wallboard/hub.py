"""Pushes fresh boards to the open wallboard streams, a few times a second at most.

Bus handlers must stay cheap and synchronous, so the one here only sets a flag. A single
task rebuilds the board when the flag is up and then rests ``coalesce`` seconds: a burst
of events (twenty callers joining, five agents ringing) costs one rebuild, not hundreds,
and the AMI sees one QueueStatus however many screens are open. With nobody watching,
nothing is rebuilt. While someone watches, a slow ``resync`` rebuild also runs, because
some figures change without an AMI event: the queue_log tailer stores today's answered
and abandoned calls one poll after the event, and campaign progress lives in SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import structlog

from cpaas_daemon.ami.bus import Event, EventBus
from cpaas_daemon.queue_log.filters import Scope
from cpaas_daemon.wallboard.board import Board

log = structlog.get_logger(__name__)

# Events that change something on the board (channels, queue callers, members, results).
RELEVANT_EVENTS = (
    "Newchannel",
    "Hangup",
    "NewAccountCode",  # the inbound hook has just attributed a call to an account
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "QueueMemberStatus",
    "QueueMemberAdded",
    "QueueMemberRemoved",
    "QueueMemberPause",
    "AgentConnect",
    "AgentComplete",
    "Cdr",  # a campaign attempt has its outcome
    "FullyBooted",  # (re)connected to the PBX: queue state may have changed wholesale
)


class Viewer:
    """One open stream: it holds only the newest board not yet sent, so a slow screen
    skips stale pictures instead of queueing them."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._pending: Board | None = None
        self._wake = asyncio.Event()
        self._closed = False

    def offer(self, board: Board) -> None:
        self._pending = board
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def updates(self, heartbeat: float) -> AsyncIterator[Board | None]:
        """Boards as they come; ``None`` after ``heartbeat`` quiet seconds; ends on close."""
        while not self._closed:
            try:
                async with asyncio.timeout(heartbeat):
                    await self._wake.wait()
            except TimeoutError:
                yield None
                continue
            self._wake.clear()
            board, self._pending = self._pending, None
            if board is not None and not self._closed:
                yield board


class WallboardHub:
    def __init__(
        self,
        build: Callable[[], Awaitable[Board]],
        bus: EventBus,
        *,
        coalesce: float = 0.25,
        resync: float = 10.0,
    ) -> None:
        self._build = build
        self._coalesce = coalesce
        self._resync = resync
        self._viewers: set[Viewer] = set()
        self._latest: Board | None = None
        self._dirty = asyncio.Event()
        self._closed = False
        bus.subscribe(self._on_event, *RELEVANT_EVENTS)

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    async def fresh(self) -> Board:
        """A board built now, for the page's first paint and the JSON snapshot."""
        return await self._build()

    def _on_event(self, _event: Event) -> None:
        if self._viewers:
            self._dirty.set()

    @contextlib.contextmanager
    def watch(self, scope: Scope) -> Iterator[Viewer]:
        """Register a stream; it gets the current board at once (or within one rebuild)."""
        viewer = Viewer(scope)
        if self._closed:  # shutting down: the stream ends at once
            viewer.close()
        self._viewers.add(viewer)
        if self._latest is not None:
            viewer.offer(self._latest)
        else:
            self._dirty.set()
        try:
            yield viewer
        finally:
            self._viewers.discard(viewer)
            if not self._viewers:
                self._latest = None  # no longer kept fresh, so not to be handed out

    async def run(self) -> None:
        """Rebuild on events (coalesced) and every ``resync`` seconds while watched."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._resync):
                    await self._dirty.wait()
            self._dirty.clear()
            if not self._viewers:
                continue
            try:
                board = await self._build()
            except Exception:
                log.exception("wallboard.build_failed")
            else:
                self._latest = board
                for viewer in self._viewers:
                    viewer.offer(board)
            await asyncio.sleep(self._coalesce)

    def close(self) -> None:
        """End every open stream (the handlers then finish their responses)."""
        self._closed = True
        for viewer in self._viewers:
            viewer.close()
