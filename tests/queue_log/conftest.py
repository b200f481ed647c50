"""A fresh migrated store and a tailer on a queue_log file in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "store.sqlite3")
    await database.open()
    yield database
    await database.close()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "queue_log"


@pytest.fixture
def tailer(db: Database, log_path: Path) -> QueueLogTailer:
    return QueueLogTailer(log_path, QueueLogRepository(db), poll_interval=0.01)
