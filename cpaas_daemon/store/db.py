"""The store's one async interface, whichever database holds it (SQLite or PostgreSQL).

Repositories write SQL with ``?`` placeholders (or ``:name`` with a dict of params) in the
dialect both databases share; :class:`Database` runs it. Writes are serialised inside the
daemon (an ``asyncio.Lock`` around every write transaction), as SQLite's single writer
needs and as keeps PostgreSQL's behaviour the same (no write/write races or deadlocks a
SQLite run could not have); PostgreSQL runs reads in parallel on its pool.

:meth:`Database.defer` and the numbered migrations (``migrations/NNNN_name.sql``, read by
both; a PostgreSQL-only variant in ``migrations/postgres/`` where the SQL truly differs)
live here, once, for both.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import operator
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from importlib import resources
from typing import Any, Protocol

import structlog

from cpaas_daemon.store.errors import StoreUnavailable

log = structlog.get_logger(__name__)

Params = Sequence[Any] | dict[str, Any]


class Row(Protocol):
    """A result row: by index and by column name (``sqlite3.Row``, ``asyncpg.Record``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Any: ...


class Transaction(Protocol):
    """The statements of one open transaction (what :meth:`Database.transaction` yields)."""

    dialect: str
    """As :attr:`Database.dialect`: for the rare statement spelled per database."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement per params row."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """The rows of a query (or of a write's ``RETURNING``)."""


class Database(ABC):
    """Async access to the store. Use :meth:`open` / :meth:`close`."""

    dialect: str
    """``sqlite`` or ``postgres``: which migration variant applies."""

    def __init__(self) -> None:
        self._write_lock = asyncio.Lock()
        self._deferred: list[tuple[str, Params]] = []
        self._deferring: asyncio.Task[None] | None = None

    @abstractmethod
    async def open(self) -> None:
        """Connect, then :meth:`migrate`."""

    async def close(self) -> None:
        """Write what :meth:`defer` still holds, then disconnect."""
        if self._deferring is not None:
            await self._deferring
        await self._disconnect()

    @abstractmethod
    async def _disconnect(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One write transaction: committed at the end, rolled back on any exception."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; returns the rows changed."""

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """A batch of writes in one transaction (the fast path for CDRs and queue_log)."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """The rows of a read."""

    @abstractmethod
    async def tables(self) -> set[str]:
        """The names of the store's tables (each database keeps its own catalogue)."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query that returns at most a few (it reads them all)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

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
                except StoreUnavailable:
                    log.exception("store.deferred_write_failed", statements=len(batch))
        finally:
            self._deferring = None

    async def migrate(self) -> None:
        """Apply the migrations newer than ``schema_version``, in order, each in its own
        transaction with its ``schema_version`` row.

        Numbers are grouped by domain (0001 core, 0100 calls/CDR, 0200 callbacks and
        campaigns, 0300 queue_log, 0400 statistics, 0500 webhooks) so domains never collide.
        """
        await self._create_schema_version()
        applied = {row[0] for row in await self.fetchall("SELECT version FROM schema_version")}
        for version, name, sql in migrations(self.dialect):
            if version in applied:
                continue
            async with self.transaction() as conn:
                await self._run_script(conn, sql)
                await conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)", (version, name)
                )
            log.info("store.migrated", version=version, name=name)

    @abstractmethod
    async def _create_schema_version(self) -> None: ...

    @abstractmethod
    async def _run_script(self, conn: Transaction, sql: str) -> None:
        """Run a migration script of several statements inside ``conn``'s transaction."""


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    """(number, name, SQL) of every migration, the dialect's own variant where one exists."""
    shared = resources.files("cpaas_daemon.store.migrations")
    variants = shared.joinpath(dialect)
    found = []
    for entry in shared.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            variant = variants.joinpath(entry.name)
            source = variant if variant.is_file() else entry
            found.append((int(number), name, source.read_text(encoding="utf-8")))
    return sorted(found)
