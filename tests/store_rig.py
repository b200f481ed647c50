"""The store the tests run against: SQLite (the default) or a real PostgreSQL.

``TEST_STORE=postgresql`` runs the suite on PostgreSQL: a private server started
from Debian's binaries (``initdb`` / ``pg_ctl`` into a temporary directory, loopback and
a Unix socket only, durability off since it dies with the session), the way
tests/real_asterisk starts a real Asterisk. The schema is migrated once into a template;
every store a test opens is a fresh ``CREATE DATABASE ... TEMPLATE`` copy of it (tens of
milliseconds). A test asks for its store by the SQLite path it would have used, so a
daemon restarted on the same ``store.path`` finds the same PostgreSQL database again.
Without PostgreSQL binaries the tests skip, saying why.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cpaas_daemon.config import Config, StoreConfig
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.postgres import PostgresDatabase
from cpaas_daemon.store.sqlite import SqliteDatabase

STORE = os.environ.get("TEST_STORE", "sqlite")
ON_POSTGRES = STORE in ("postgresql", "postgres")
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
USER = "cpaas"
TEMPLATE = "cpaas_template"
KEPT = 6
"""Databases kept alive besides the newest: a daemon restarted in the same test reopens
its store; older ones are dropped so a long run does not fill the disk."""


class NoPostgres(Exception):
    """No PostgreSQL server binaries on this machine."""


def _binaries() -> Path:
    given = os.environ.get("PG_BIN")
    for directory in [Path(given)] if given else PG_BIN_DIRS:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    where = f"PG_BIN={given}" if given else "nothing in /usr/lib/postgresql/*/bin"
    raise NoPostgres(
        f"no PostgreSQL server ({where}); `apt-get install postgresql` (make test does as root)"
    )


class PostgresRig:
    """One PostgreSQL server in a temporary directory, for the session."""

    def __init__(self) -> None:
        self.bin = _binaries()
        self.dir = Path(tempfile.mkdtemp(prefix="cpaas-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self._user = _server_user()
        self._databases: OrderedDict[str, str] = OrderedDict()
        self._counter = 0

    def _run(self, *args: str) -> None:
        command = [*(("runuser", "-u", self._user, "--") if self._user else ()), *args]
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir)

    def start(self) -> None:
        if self._user:
            shutil.chown(self.dir, self._user)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        self._start_server()
        self._sql(f"CREATE DATABASE {TEMPLATE}")
        with ThreadPoolExecutor(1) as pool:  # its own event loop: callers may be inside one
            pool.submit(asyncio.run, _migrate(self.url(TEMPLATE))).result()

    def _start_server(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.dir} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.dir / "server.log"), "-w", "-t", "60", "start")  # fmt: skip

    @asynccontextmanager
    async def stopped(self) -> AsyncIterator[None]:
        """The server down for the block, then up again on the same port with the same
        databases: PostgreSQL restarted under a running daemon. A fast shutdown (what
        ``systemctl restart`` does): clients are cut off, committed data is kept (an
        immediate one could drop the last commits, ``synchronous_commit`` being off)."""
        pg_ctl = str(self.bin / "pg_ctl")
        await asyncio.to_thread(self._run, pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        try:
            yield
        finally:
            await asyncio.to_thread(self._start_server)

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def database(self, key: str) -> str:
        """The URL of the database for ``key`` (a test's SQLite path): fresh on first use."""
        if key not in self._databases:
            self._counter += 1
            name = f"t{self._counter}"
            # WAL_LOG: ~0.09 s a copy; FILE_COPY checkpoints before and after (~0.3 s), and
            # a PostgreSQL run opens ~1,000 stores.
            self._sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY WAL_LOG")
            self._databases[key] = name
            while len(self._databases) > KEPT:
                _, old = self._databases.popitem(last=False)
                self._sql(f"DROP DATABASE IF EXISTS {old} WITH (FORCE)")
        self._databases.move_to_end(key)
        return self.url(self._databases[key])

    def _sql(self, statement: str) -> None:
        subprocess.run(
            [str(self.bin.parent / "bin" / "psql"), "-q", "-h", str(self.dir), "-p",
             str(self.port), "-U", USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
             "-c", statement],
            check=True, capture_output=True,
        )  # fmt: skip


async def _migrate(url: str) -> None:
    db = PostgresDatabase(url)
    await db.open()
    await db.close()


def _server_user() -> str | None:
    """initdb refuses root: as root, the server runs as ``postgres`` (Debian's package
    creates it) or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise NoPostgres("running as root and no unprivileged user to run PostgreSQL as")


def _free_port() -> int:
    from tests.harness import free_port  # noqa: PLC0415 - harness imports this module

    return free_port()


_RIG: PostgresRig | None = None
_FAILED: str | None = None


def postgres() -> PostgresRig:
    """The session's server, started on first use; the test skips without PostgreSQL."""
    global _RIG, _FAILED  # noqa: PLW0603 - one server per test session
    if _FAILED is not None:
        pytest.skip(_FAILED)
    if _RIG is None:
        try:
            rig = PostgresRig()
            rig.start()
        except (NoPostgres, subprocess.CalledProcessError, OSError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            _FAILED = f"PostgreSQL unavailable: {exc} {detail.decode(errors='replace')}"
            pytest.skip(_FAILED)
        _RIG = rig
        atexit.register(rig.stop)
    return _RIG


def store_at(path: Path) -> Database:
    """The store a test would keep in the SQLite file ``path``, on the configured store."""
    if ON_POSTGRES:
        return PostgresDatabase(postgres().database(str(path)))
    return SqliteDatabase(path)


@asynccontextmanager
async def opened_store(path: Path) -> AsyncIterator[Database]:
    """The store a daemon process kept at ``path`` (its ``store.path``), opened from the
    test: what a test killing that process reads to see what it left, on either store."""
    database = store_at(path)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


def store_environment(path: Path) -> dict[str, str]:
    """The ``CPAAS_STORE__URL`` a daemon process needs for the store at ``path``, if any."""
    return {"CPAAS_STORE__URL": postgres().database(str(path))} if ON_POSTGRES else {}


def with_test_store(config: Config) -> Config:
    """``config`` with its store on the configured test store (same path, same database)."""
    if not ON_POSTGRES or config.store.url:
        return config
    url = postgres().database(str(config.store.path))
    return config.model_copy(update={"store": StoreConfig(url=url)})
