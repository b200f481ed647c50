"""A tailer on a queue_log file in tmp_path, writing to the root conftest's ``db``."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.store.db import Database


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "queue_log"


@pytest.fixture
def tailer(db: Database, log_path: Path) -> QueueLogTailer:
    return QueueLogTailer(log_path, QueueLogRepository(db), poll_interval=0.01)
