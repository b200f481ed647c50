"""The one SQLite connection: WAL, explicit transactions, numbered migrations.

A single aiosqlite connection serialises every statement on its worker thread, so an
``asyncio.Lock`` around write transactions is enough to keep concurrent coroutines from
interleaving inside one another's BEGIN ... COMMIT. Each aiosqlite call costs a thread
hop (~0.2 ms here), which is why repositories batch with ``executemany`` and reads
use ``execute_fetchall`` (one hop, where execute + fetch + close would be three).
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import operator
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from cpaas_daemon.store.errors import StoreUnavailable

log = structlog.get_logger(__name__)

Params = Sequence[Any] | dict[str, Any]


def _translate(exc: sqlite3.Error) -> StoreUnavailable:
    """Disk full / locked / I/O errors become a 503 the API can render; nothing half-written."""
    return StoreUnavailable(f"storage unavailable: {exc}")


class Database:
    """Async access to the daemon's SQLite file. Use :meth:`open` / :meth:`close`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._deferred: list[tuple[str, Params]] = []
        self._deferring: asyncio.Task[None] | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(str(self.path), isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=5000",
        ):
            await self._conn.execute(pragma)
        await self.migrate()

    async def close(self) -> None:
        """Write what :meth:`defer` still holds, then close."""
        if self._deferring is not None:
            await self._deferring
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        async with self._write_lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _translate(exc) from exc
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            try:
                await self.conn.commit()
            except sqlite3.Error as exc:
                await self.conn.rollback()
                raise _translate(exc) from exc

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; returns the rows changed.

        The connection is in autocommit mode, so SQLite runs a lone statement as its own
        transaction (all or nothing, the write lock taken up front with busy_timeout, as
        BEGIN IMMEDIATE would): one thread hop instead of three. The write lock keeps it
        from landing inside another coroutine's open transaction.
        """
        try:
            async with self._write_lock:
                cursor = await self.conn.execute(sql, params)
                return cursor.rowcount
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """A batch of writes in one transaction (the fast path for CDRs and queue_log)."""
        try:
            async with self.transaction() as conn:
                cursor = await conn.executemany(sql, rows)
                return cursor.rowcount
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    def defer(self, sql: str, params: Params) -> None:
        """Write this soon, batched with the other deferred writes, and do not wait.

        For updates whose caller must not pay a transaction of its own and loses nothing
        if a crash drops them (a call's ``queued`` -> ``originated``): they are written in
        order, consecutive ones with the same SQL in one ``executemany``, one transaction
        per batch; :meth:`close` writes what is left. A failure is logged, not raised.
        """
        self._deferred.append((sql, params))
        if self._deferring is None:
            self._deferring = asyncio.get_running_loop().create_task(
                self._write_deferred(),
                name="store-deferred-writes",
                context=contextvars.Context(),  # not the log context of whoever deferred first
            )

    async def _write_deferred(self) -> None:
        try:
            while self._deferred:
                batch, self._deferred = self._deferred, []
                try:
                    async with self.transaction() as conn:
                        for sql, group in itertools.groupby(batch, key=operator.itemgetter(0)):
                            await conn.executemany(sql, [params for _, params in group])
                except (sqlite3.Error, StoreUnavailable):
                    log.exception("store.deferred_write_failed", statements=len(batch))
        finally:
            self._deferring = None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """One thread hop (execute, fetch and close a cursor would be three)."""
        try:
            return list(await self.conn.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query that returns at most a few (it reads them all)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def migrate(self) -> None:
        """Apply ``migrations/NNNN_name.sql`` files newer than ``schema_version``, in order.

        Numbers are grouped by domain (0001 core, 0100 calls/CDR, 0200 callbacks and
        campaigns, 0300 queue_log, 0400 statistics) so domains never collide.
        """
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
        )
        applied = {row[0] for row in await self.fetchall("SELECT version FROM schema_version")}
        for version, name, sql in _migrations():
            if version in applied:
                continue
            async with self.transaction() as conn:
                for statement in _statements(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)", (version, name)
                )
            log.info("store.migrated", version=version, name=name)


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("cpaas_daemon.store.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _statements(sql: str) -> list[str]:
    """Split a migration script on complete statements (sqlite3.complete_statement)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
