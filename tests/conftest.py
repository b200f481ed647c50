"""Fixtures every test directory shares: a store, a simulated Asterisk, a running daemon;
and the hook that marks each test by the tier its directory belongs to."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.store.db import Database
from tests.harness import Daemon, free_port, running_daemon, running_sim
from tests.store_rig import store_at

TESTS = Path(__file__).parent

# Tier of each top directory under tests/: the marker a test gets from where it lives, so
# ``-m unit`` selects what runs in seconds without any test having to say so itself.
TIERS: dict[str, tuple[str, ...]] = {
    "unit": ("unit",),
    "integration": ("integration",),
    "real_asterisk": ("integration", "real_asterisk"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test ``unit`` or ``integration`` (and ``real_asterisk``) by its directory;
    a test outside those directories counts as integration, the costlier guess."""
    for item in items:
        top = item.path.relative_to(TESTS).parts[0]
        for name in TIERS.get(top, ("integration",)):
            item.add_marker(name)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A test that runs ``main()`` in-process points logging at pytest's captured stderr,
    which is closed after that test; later tests must not log into it."""
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    yield
    root.handlers[:], root.level = handlers, level
    structlog.configure(**config)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty store (SQLite, or PostgreSQL with TEST_STORE=postgresql)."""
    database = store_at(tmp_path / "store.sqlite3")
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def other_node(db: Database, tmp_path: Path) -> AsyncIterator[Database]:
    """A second daemon's connection to the very store ``db`` opened."""
    second = store_at(tmp_path / "store.sqlite3")
    await second.open()
    yield second
    await second.close()


@pytest.fixture
def stores(db: Database, other_node: Database) -> tuple[Database, Database]:
    """Two daemons' connections to one store: node a's and node b's."""
    return db, other_node


@pytest.fixture
def agi_port() -> int:
    return free_port()


@pytest.fixture
def sim_options() -> dict[str, Any]:
    """Options of the ``sim`` fixture (``SimConfig`` fields); a module overrides this
    fixture to change them, e.g. a slower ``time_scale`` to act on live calls."""
    return {}


@pytest.fixture
async def sim(
    tmp_path: Path, agi_port: int, sim_options: dict[str, Any]
) -> AsyncIterator[SimulatedAsterisk]:
    async with running_sim(tmp_path, agi_port, **sim_options) as simulator:
        yield simulator


@pytest.fixture
async def daemon(tmp_path: Path, sim: SimulatedAsterisk, agi_port: int) -> AsyncIterator[Daemon]:
    async with running_daemon(daemon_config(tmp_path, sim.port, agi_port)) as running:
        yield running
