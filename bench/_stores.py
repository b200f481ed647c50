"""The two stores for the data benchmarks: a SQLite file, or a private PostgreSQL server.

``cdr_statistics``, ``queue_log_ingest`` and ``cdr_ingest`` run once per store named in
``BENCH_STORES`` (default ``sqlite,postgres``). PostgreSQL is a server of this process's
own, started from Debian's binaries the way ``tests/store_rig.py`` starts the test one
(``initdb`` + ``pg_ctl`` into a temporary directory, 127.0.0.1 and a Unix socket there,
as ``postgres`` when run as root), but with production durability (fsync and synchronous
commit on, as a deployment would run) and enough memory for tens of millions of rows
(``shared_buffers`` 256 MB, ``max_wal_size`` 4 GB so that a bulk load is not a stream of
checkpoints). Without the binaries the PostgreSQL half is reported as skipped.

Bulk loading is the fastest honest path on each: SQLite ``executemany`` in transactions
of :data:`CHUNK` rows on a plain ``sqlite3`` connection; PostgreSQL ``COPY`` through
asyncpg's ``copy_records_to_table``. Rows go in under the schema as of a given migration
(:meth:`BenchStore.schema_until`); opening the store then applies every later migration
(indexes, rollup backfills) as a production upgrade would.

The harness skips modules whose name starts with ``_``; this one is not a benchmark.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import asyncpg

from cpaas_daemon.store.db import Database, migrations
from cpaas_daemon.store.dialect import NOW, postgres_ddl
from cpaas_daemon.store.postgres import PostgresDatabase
from cpaas_daemon.store.sqlite import SqliteDatabase, _statements
from tests.store_rig import NoPostgres, _binaries, _server_user

CHUNK = 200_000
USER = "cpaas"


def stores() -> list[str]:
    """The stores to measure (``BENCH_STORES``, comma-separated)."""
    names = os.environ.get("BENCH_STORES", "sqlite,postgres").split(",")
    return [name.strip() for name in names if name.strip()]


def size(variable: str, full: int, quick: int) -> int:
    """A data size: ``$variable`` if set, else ``quick`` under BENCH_QUICK, else ``full``."""
    given = os.environ.get(variable)
    if given:
        return int(given.replace("_", ""))
    return quick if os.environ.get("BENCH_QUICK") else full


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server in a temporary directory, for one benchmark process."""

    def __init__(self) -> None:
        self.bin = _binaries()  # NoPostgres: the PostgreSQL half is skipped, saying why
        self.dir = Path(tempfile.mkdtemp(prefix="cpaas-bench-pg-"))
        self.port = _free_port()
        self._user = _server_user()

    def _run(self, *args: str) -> None:
        command = [*(("runuser", "-u", self._user, "--") if self._user else ()), *args]
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir)

    def start(self) -> None:
        if self._user:
            shutil.chown(self.dir, self._user)
        data = str(self.dir / "data")
        self._run(str(self.bin / "initdb"), "-D", data, "-U", USER, "-A", "trust", "-E",
                  "UTF8", "--locale=C")  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.dir} -c shared_buffers=256MB"
            " -c max_wal_size=4GB -c max_connections=50"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-o", options, "-l",
                  str(self.dir / "server.log"), "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    async def create(self, database: str) -> str:
        """A new empty database; returns its URL."""
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {database}")
        finally:
            await conn.close()
        return self.url(database)


def _chunks(rows: Iterable[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


@dataclass
class BenchStore:
    """One store under test: ``kind`` is ``sqlite`` (``path``) or ``postgres`` (``url``)."""

    kind: str
    path: Path
    url: str | None = None

    def database(self) -> Database:
        if self.url is not None:
            return PostgresDatabase(self.url)
        return SqliteDatabase(self.path)

    def daemon_overrides(self) -> dict[str, Any]:
        """The ``store`` section a ``bench._daemon`` needs to open this store."""
        return {"store": {"url": self.url}} if self.url else {"store": {"path": str(self.path)}}

    async def schema_until(self, last: int) -> None:
        """Apply the daemon's migrations up to ``last``, recorded as Database.migrate does."""
        if self.url is None:
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT"
                " (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
            )
            for version, name, sql in migrations("sqlite"):
                if version <= last:
                    conn.execute("BEGIN")
                    for statement in _statements(sql):
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (version, name) VALUES (?, ?)", (version, name)
                    )
                    conn.execute("COMMIT")
            conn.close()
            return
        pg = await asyncpg.connect(self.url)
        try:
            await pg.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY,"
                f" name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT ({NOW}))"
            )
            for version, name, sql in migrations("postgres"):
                if version <= last:
                    async with pg.transaction():
                        await pg.execute(postgres_ddl(sql))
                        await pg.execute(
                            "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                            version,
                            name,
                        )
        finally:
            await pg.close()

    async def bulk(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Load ``rows`` into ``table``; returns how many. Chunks of :data:`CHUNK` rows, each
        one transaction (SQLite) or one COPY (PostgreSQL)."""
        count = 0
        if self.url is None:
            conn = sqlite3.connect(self.path)
            names = ", ".join(f'"{c}"' for c in columns)
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            for chunk in _chunks(rows):
                conn.executemany(sql, chunk)
                conn.commit()
                count += len(chunk)
            conn.close()
            return count
        pg = await asyncpg.connect(self.url)
        try:
            for chunk in _chunks(rows):
                await pg.copy_records_to_table(table, records=chunk, columns=list(columns))
                count += len(chunk)
        finally:
            await pg.close()
        return count

    async def analyze(self) -> None:
        """Planner statistics after a bulk load, as a DBA would gather them; on PostgreSQL
        ``VACUUM ANALYZE`` (what autovacuum does to a freshly loaded table soon after:
        it also marks the pages all-visible, which index-only scans need)."""
        if self.url is None:
            conn = sqlite3.connect(self.path)
            conn.execute("ANALYZE")
            conn.close()
            return
        pg = await asyncpg.connect(self.url)
        try:
            await pg.execute("VACUUM ANALYZE")
        finally:
            await pg.close()


class Stores:
    """The stores of one benchmark run; the PostgreSQL server starts on first use."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self._server: PostgresServer | None = None

    async def fresh(self, kind: str, name: str) -> BenchStore:
        """An empty store called ``name`` (a SQLite file in tmp, or a database)."""
        path = self.tmp / f"{name}.sqlite3"
        if kind == "sqlite":
            return BenchStore("sqlite", path)
        if kind != "postgres":
            raise ValueError(f"unknown store {kind!r} (sqlite, postgres)")
        if self._server is None:
            server = PostgresServer()
            server.start()
            self._server = server
        return BenchStore("postgres", path, await self._server.create(f"bench_{name}"))

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


async def per_store(measure: Callable[[Stores, str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """``measure(stores, kind)`` for each store of :func:`stores`, each in a directory of
    its own, as ``{kind: figures}``; a store that cannot run here is ``{"skipped": why}``."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cpaas-bench-") as tmp:
        for kind in stores():
            each = Stores(Path(tmp) / kind)
            each.tmp.mkdir()
            try:
                result[kind] = await measure(each, kind)
            except NoPostgres as exc:
                result[kind] = {"skipped": str(exc)}
            finally:
                each.close()
    return result
