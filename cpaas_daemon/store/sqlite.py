"""The embedded store: one SQLite file, WAL, explicit transactions.

A single aiosqlite connection serialises every statement on its worker thread, so the
write lock of :class:`~cpaas_daemon.store.db.Database` is enough to keep concurrent
coroutines from interleaving inside one another's BEGIN ... COMMIT. Each aiosqlite call
costs a thread hop (~0.2 ms here), which is why repositories batch with ``executemany``
and reads use ``execute_fetchall`` (one hop, where execute + fetch + close would be three).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from cpaas_daemon.store.db import Database, Params, Row, Transaction
from cpaas_daemon.store.errors import StoreUnavailable

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
"""The current UTC time as the store keeps it (ISO-8601 text, milliseconds, ``Z``)."""


class _Connection:
    """The open transaction's statements on the one connection."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            cursor = await self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable.from_driver(exc) from exc
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            await self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreUnavailable.from_driver(exc) from exc

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return list(await self._conn.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailable.from_driver(exc) from exc


class SqliteDatabase(Database):
    """The daemon's SQLite file (``store.path``, or ``sqlite:///path`` as ``store.url``)."""

    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path) if str(path) != ":memory:" else path
        self._conn: aiosqlite.Connection | None = None

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

    async def _disconnect(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        async with self._write_lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreUnavailable.from_driver(exc) from exc
            try:
                yield _Connection(self.conn)
            except BaseException:
                await self.conn.rollback()
                raise
            try:
                await self.conn.commit()
            except sqlite3.Error as exc:
                await self.conn.rollback()
                raise StoreUnavailable.from_driver(exc) from exc

    async def execute(self, sql: str, params: Params = ()) -> int:
        """The connection is in autocommit mode, so SQLite runs a lone statement as its own
        transaction (all or nothing, the write lock taken up front with busy_timeout, as
        BEGIN IMMEDIATE would): one thread hop instead of three. The write lock keeps it
        from landing inside another coroutine's open transaction.
        """
        async with self._write_lock:
            return await _Connection(self.conn).execute(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """One thread hop (execute, fetch and close a cursor would be three)."""
        return await _Connection(self.conn).fetchall(sql, params)

    async def tables(self) -> set[str]:
        rows = await self.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}

    async def _create_schema_version(self) -> None:
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            f" applied_at TEXT NOT NULL DEFAULT ({NOW}))"
        )

    async def _run_script(self, conn: Transaction, sql: str) -> None:
        for statement in _statements(sql):
            await conn.execute(statement)


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
