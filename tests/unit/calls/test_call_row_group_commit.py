"""Call rows placed at the same moment share one commit, and each caller still returns
only once its own row is committed (the Originate goes out after that)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.errors import StoreUnavailable
from tests.store_rig import ON_POSTGRES, store_at
from tests.unit.calls.test_deferred_writes import call

sqlite_only = pytest.mark.skipif(
    ON_POSTGRES, reason="reads SQLite's statement trace and its file from a second connection"
)


@pytest.fixture
async def calls(db: Database) -> CallRepository:
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acct', 'x')")
    return CallRepository(db)


def committed(db: Database) -> set[str]:
    """Request ids another connection sees: only what is committed."""
    with sqlite3.connect(db.path) as other:
        return {row[0] for row in other.execute("SELECT request_id FROM calls")}


@sqlite_only
async def test_calls_placed_together_are_one_insert_and_each_returns_committed(
    db: Database, calls: CallRepository
) -> None:
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    seen_at_return: dict[str, set[str]] = {}

    async def place(n: int) -> None:
        await calls.insert(call(n))
        seen_at_return[f"{n:010x}"] = committed(db)

    await asyncio.gather(*(place(n) for n in range(50)))
    await db.conn.set_trace_callback(None)  # type: ignore[arg-type]  # None turns it off

    assert all(request_id in seen for request_id, seen in seen_at_return.items())
    assert len(committed(db)) == 50
    # SQLite traces a statement again for each trigger step it runs: count distinct ones.
    assert len({s for s in statements if s.startswith("INSERT INTO calls")}) == 1


@sqlite_only
async def test_a_duplicate_fails_alone_and_the_rest_of_its_batch_is_written(
    db: Database, calls: CallRepository
) -> None:
    await calls.insert(call(3))
    results = await asyncio.gather(
        *(calls.insert(call(n)) for n in range(6)), return_exceptions=True
    )
    assert [type(r) for r in results] == [type(None)] * 3 + [StoreUnavailable] + [type(None)] * 2
    assert committed(db) == {f"{n:010x}" for n in range(6)}


async def test_a_closed_store_fails_every_waiting_caller(tmp_path: Path) -> None:
    db = store_at(tmp_path / "store.sqlite3")
    await db.open()
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acct', 'x')")
    calls = CallRepository(db)
    await db.close()
    async with asyncio.timeout(5):
        results = await asyncio.gather(
            *(calls.insert(call(n)) for n in range(3)), return_exceptions=True
        )
    assert all(isinstance(r, RuntimeError) for r in results), results
