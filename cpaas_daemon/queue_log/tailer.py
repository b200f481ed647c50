"""Follow Asterisk's queue_log across rotation and truncation, storing each line once.

A file is identified by its inode plus a hash of its first line (an inode alone can be
reused; a name changes on rotation). Each poll compares the live path with the saved
state:

* same file, grown: read the new complete lines from the saved offset;
* same inode, smaller than the offset (or a different first line): truncated or
  rewritten in place, so start again at 0;
* different inode: ``logger rotate`` renamed our file to ``queue_log.N`` (sequential
  suffixes: the newest rotated file has the highest N). Finish that file from the saved
  offset, then every later ``queue_log.M`` (rotations while the daemon was down), then
  start the new live file at 0.

Polling (no inotify) keeps it portable; a poll that finds nothing costs one stat and one
short read. File reads and parsing run in a thread so a 1 MB batch never stalls the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import structlog

from cpaas_daemon.errors import DomainError
from cpaas_daemon.queue_log.parser import QueueLogLine, parse_line
from cpaas_daemon.queue_log.repository import FileState, QueueLogRepository
from cpaas_daemon.store.errors import StoreUnavailable

log = structlog.get_logger(__name__)

BATCH_BYTES = 1 << 20
FIRST_LINE_LIMIT = 1 << 16


def line_hash(first_line: bytes) -> int:
    """64-bit signed hash of a first line (newline included), as SQLite stores it."""
    digest = hashlib.blake2b(first_line, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class _Probe:
    inode: int
    size: int
    first_line_hash: int | None


@dataclass(frozen=True)
class _Chunk:
    rows: list[QueueLogLine]
    end: int
    first_line_hash: int | None
    rejected: int


def _probe(path: Path) -> _Probe | None:
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno())
            first = file.readline(FIRST_LINE_LIMIT)
    except FileNotFoundError:
        return None
    digest = line_hash(first) if first.endswith(b"\n") else None
    return _Probe(size.st_ino, size.st_size, digest)


def _read_chunk(path: Path, inode: int, offset: int, limit: int) -> _Chunk | None:
    """Complete lines from ``offset`` (at most ~``limit`` bytes) of the file ``inode``."""
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_ino != inode:
                return None  # renamed between probe and open; the next poll sees it
            file.seek(offset)
            buffer = file.read(limit)
            if len(buffer) == limit and b"\n" not in buffer:
                buffer += file.readline()  # one line longer than a batch
    except FileNotFoundError:
        return None
    cut = buffer.rfind(b"\n")
    if cut < 0:
        return None
    body = buffer[:cut]
    first_hash = line_hash(body.split(b"\n", 1)[0] + b"\n") if offset == 0 else None
    text = body.decode("utf-8", "replace")
    if len(text) == len(body):  # ASCII (the usual case): character offsets are byte offsets
        lines = text.split("\n")
        sizes = None
    else:
        raw_lines = body.split(b"\n")
        lines = [raw.decode("utf-8", "replace") for raw in raw_lines]
        sizes = [len(raw) for raw in raw_lines]
    rows: list[QueueLogLine] = []
    position = offset
    for index, line in enumerate(lines):
        parsed = parse_line(line, position)
        if parsed is not None:
            rows.append(parsed)
        position += (len(line) if sizes is None else sizes[index]) + 1
    return _Chunk(rows, offset + cut + 1, first_hash, len(lines) - len(rows))


def _rotated_siblings(path: Path) -> list[Path]:
    """``queue_log.0``, ``queue_log.1``, ... oldest first (numeric suffixes only)."""
    found = []
    for candidate in path.parent.glob(f"{path.name}.*"):
        suffix = candidate.name[len(path.name) + 1 :]
        if suffix.isdigit():
            found.append((int(suffix), candidate))
    return [candidate for _, candidate in sorted(found)]


def _is(probe: _Probe | None, state: FileState) -> bool:
    return (
        probe is not None
        and probe.inode == state.inode
        and state.first_line_hash in (None, probe.first_line_hash)
    )


class QueueLogTailer:
    """Reads ``path`` into the store; ``poll_once`` is the unit tests drive directly."""

    def __init__(
        self,
        path: Path,
        repository: QueueLogRepository,
        poll_interval: float,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.path = path
        self._key = str(path)
        self._repo = repository
        self._interval = poll_interval
        self._batch_bytes = batch_bytes
        self._state: FileState | None = None
        self._loaded = False
        self._polling = asyncio.Lock()  # one poll at a time, even if a caller polls too

    async def run(self) -> None:
        """Poll forever; a failed poll (disk, store) is logged and retried next interval."""
        while True:
            try:
                await self.poll_once()
            except (OSError, DomainError, StoreUnavailable) as exc:
                log.warning("queue_log.poll_failed", path=self._key, error=str(exc))
            await asyncio.sleep(self._interval)

    async def poll_once(self) -> int:
        """Ingest everything readable now; returns the number of lines read and handed to the
        store (a line it already holds is ignored there)."""
        async with self._polling:
            return await self._poll()

    async def _poll(self) -> int:
        if not self._loaded:
            self._state = await self._repo.load_state(self._key)
            self._loaded = True
        live = await asyncio.to_thread(_probe, self.path)
        state = self._state
        if state is not None and live is not None and live.inode == state.inode:
            if live.size < state.offset or not _is(live, state):
                log.warning("queue_log.truncated", path=self._key, offset=state.offset)
                state = FileState(live.inode, 0, None)
            return await self._drain(self.path, state)
        stored = 0 if state is None else await self._finish_rotated(state)
        if live is not None:
            stored += await self._drain(self.path, FileState(live.inode, 0, None))
        return stored

    async def _finish_rotated(self, state: FileState) -> int:
        """Drain the renamed file we were reading, then any newer rotated ones."""
        siblings = _rotated_siblings(self.path)
        probes = await asyncio.to_thread(lambda: [_probe(path) for path in siblings])
        for index, probe in enumerate(probes):
            if _is(probe, state):
                stored = await self._drain(siblings[index], state)
                for newer, newer_probe in zip(
                    siblings[index + 1 :], probes[index + 1 :], strict=True
                ):
                    if newer_probe is not None:
                        start = FileState(newer_probe.inode, 0, None)
                        stored += await self._drain(newer, start)
                return stored
        log.warning("queue_log.rotated_file_missing", path=self._key, inode=state.inode)
        return 0

    async def _drain(self, path: Path, state: FileState) -> int:
        """Read ``path`` to its last complete line, one transaction per batch.

        The next batch is read and parsed (in a thread) while the current one is being
        written (in aiosqlite's thread): SQLite releases the GIL while it works.
        """
        stored = 0
        pending = self._read(path, state.inode, state.offset)
        while (chunk := await pending) is not None:
            pending = self._read(path, state.inode, chunk.end)
            file_id = state.first_line_hash
            if file_id is None:
                file_id = chunk.first_line_hash
            state = FileState(state.inode, chunk.end, file_id)
            try:
                await self._repo.store(self._key, state, file_id, chunk.rows)
            except BaseException:
                pending.cancel()
                raise
            self._state = state
            stored += len(chunk.rows)
            if chunk.rejected:
                log.warning("queue_log.unparsable_lines", path=str(path), count=chunk.rejected)
        if state != self._state:  # switched to an empty file: remember which one
            await self._repo.store(self._key, state, None, [])
            self._state = state
        return stored

    def _read(self, path: Path, inode: int, offset: int) -> asyncio.Future[_Chunk | None]:
        return asyncio.ensure_future(
            asyncio.to_thread(_read_chunk, path, inode, offset, self._batch_bytes)
        )
