"""Stats fixtures: a migrated store with two accounts, and writers for calls and queue_log.

Counters read the store, so the unit tests write ``calls`` rows and queue_log lines the way
the daemon would (queue_log lines go through the real ingest, which materialises
``queue_calls`` and the agent tables) and then compare hand-counted numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.queue_log.parser import parse_line
from cpaas_daemon.queue_log.repository import FileState, QueueLogRepository
from cpaas_daemon.stats.window import Window
from cpaas_daemon.store.db import Database
from tests.store_rig import store_at

DAY = date(2026, 11, 22)
UTC_DAY = Window.days(DAY, DAY, ZoneInfo("UTC"))

CallWriter = Callable[..., Awaitable[None]]
LineWriter = Callable[..., Awaitable[None]]


def at(hour: int, minute: int = 0, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """Accounts ``acme`` (DIDs to queue sales) and ``globex`` (queue support)."""
    database = store_at(tmp_path / "stats.sqlite3")
    await database.open()
    for account_id in ("acme", "globex"):
        await AccountRepository(database).add(account_id, f"{account_id}-secret-123")
    await database.execute(
        "INSERT INTO dids (did, account_id, queue) VALUES"
        " ('5550100', 'acme', 'sales'), ('5550200', 'acme', 'sales'),"
        " ('5550900', 'globex', 'support')"
    )
    yield database
    await database.close()


@pytest.fixture
def add_call(db: Database) -> CallWriter:
    """Insert one ``calls`` row; a ``dial_status`` means its CDR arrived (cdr_at set)."""
    counter = iter(range(1, 10_000))

    async def add(account: str, kind: str, created: datetime, **columns: Any) -> None:
        number = next(counter)
        row: dict[str, Any] = {
            "request_id": f"{number:010x}",
            "account_id": account,
            "kind": kind,
            "direction": "x",
            "state": "completed" if columns.get("dial_status") else "originated",
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            **columns,
        }
        if row.get("dial_status") not in (None, "DND"):
            row.setdefault("cdr_at", row["created_at"])
        names = ", ".join(row)
        await db.execute(
            f"INSERT INTO calls ({names}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )

    return add


@pytest.fixture
def add_lines(db: Database) -> LineWriter:
    """Ingest queue_log lines one at a time (so agent ids follow first appearance)."""
    repository = QueueLogRepository(db)
    offset = iter(range(0, 10_000_000, 100))

    async def add(*texts: str) -> None:
        for text in texts:
            line = parse_line(text, next(offset))
            assert line is not None, text
            await repository.store("queue_log", FileState(1, line.offset, 1), 1, [line])

    return add
