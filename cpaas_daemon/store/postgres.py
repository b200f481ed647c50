"""The PostgreSQL store (``store.url = "postgresql://..."``), on an asyncpg pool.

asyncpg speaks PostgreSQL's binary protocol and prepares (and caches) each statement per
connection. Reads take any pooled connection, so they run in parallel with each other and
with the write in progress; writes keep the in-daemon write lock of
:class:`~cpaas_daemon.store.db.Database` (the same one-writer-at-a-time behaviour as
SQLite, never a deadlock between two of the daemon's own transactions).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.store.db import Database, Params, Row, Transaction
from cpaas_daemon.store.dialect import NOW, numbered, postgres_ddl
from cpaas_daemon.store.errors import StoreUnavailable

# What a lost server, a refused statement or a full disk raise: a 503, nothing half-written.
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


def _refused(exc: BaseException) -> Exception:
    """A driver failure as the daemon's own error. Text with a NUL, which PostgreSQL
    cannot store at all (SQLite can), is the client's bad value (a 400), not an outage."""
    if isinstance(exc, asyncpg.CharacterNotInRepertoireError):
        return ValidationFailed("text with a NUL character (\\u0000) cannot be stored")
    return StoreUnavailable.from_driver(exc)


def _rows_changed(status: str) -> int:
    """The count that ends a command tag (``UPDATE 3``, ``INSERT 0 1``)."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _numeric(text: str) -> int | float:
    """``numeric`` (what SUM of integers returns in PostgreSQL) as SQLite gives it: an int
    when whole, else a float, never a Decimal the JSON encoder refuses."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


async def _init(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text"
    )


class _Connection:
    """The open transaction's statements on its pooled connection."""

    dialect = "postgres"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        query, args = numbered(sql, params)
        try:
            return _rows_changed(await self._conn.execute(query, *args))
        except _FAILURES as exc:
            raise _refused(exc) from exc

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = [numbered(sql, params) for params in rows]
        if not batch:
            return
        try:
            await self._conn.executemany(batch[0][0], [args for _, args in batch])
        except _FAILURES as exc:
            raise _refused(exc) from exc

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        query, args = numbered(sql, params)
        try:
            return list(await self._conn.fetch(query, *args))
        except _FAILURES as exc:
            raise _refused(exc) from exc


class PostgresDatabase(Database):
    """A PostgreSQL database named by a libpq URL (``postgresql://user@host/db``)."""

    dialect = "postgres"

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        super().__init__()
        self.url = url
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=self._pool_size, init=_init
            )
        except _FAILURES as exc:
            raise _refused(exc) from exc
        await self.migrate()

    async def _disconnect(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def _acquired(self) -> AsyncIterator[Any]:
        """A pooled connection. Taking one may connect anew (a connection the server cut
        is replaced on acquire), so a server that is down or shutting down fails here:
        :class:`StoreUnavailable` (a 503), like any failed statement, never a 500."""
        try:
            async with self.pool.acquire() as conn:
                yield conn
        except _FAILURES as exc:
            raise _refused(exc) from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._write_lock, self._acquired() as conn, conn.transaction():
            yield _Connection(conn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._write_lock, self._acquired() as conn:
            return await _Connection(conn).execute(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._acquired() as conn:
            return await _Connection(conn).fetchall(sql, params)

    async def tables(self) -> set[str]:
        rows = await self.fetchall(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        return {row[0] for row in rows}

    async def _create_schema_version(self) -> None:
        async with self._write_lock, self.pool.acquire() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
                f" applied_at TEXT NOT NULL DEFAULT ({NOW}))"
            )

    async def _run_script(self, conn: Transaction, sql: str) -> None:
        # No parameters: the simple query protocol runs every statement of the script.
        await conn.execute(postgres_ddl(sql))
