"""A call's ``originated`` state is written behind, batched, and never lost on close."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.store.db import Database
from tests.store_rig import store_at


def call(n: int) -> CallRequest:
    return CallRequest(
        request_id=f"{n:010x}",
        account_id="acct",
        kind=CallKind.C2C,
        channel="Local/9100000009@sim-endpoints",
        context="cpaas-click2call",
        exten="9200000009",
        caller_id="15551230000",
    )


async def states(db: Database) -> dict[str, str]:
    rows = await db.fetchall("SELECT request_id, state FROM calls")
    return {row["request_id"]: row["state"] for row in rows}


async def placed(db: Database, count: int) -> CallRepository:
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acct', 'x')")
    calls = CallRepository(db)
    for n in range(count):
        await calls.insert(call(n))
    return calls


async def test_originated_is_written_soon_in_one_batch_without_overwriting_a_completed_call(
    db: Database,
) -> None:
    calls = await placed(db, 50)
    await db.execute("UPDATE calls SET state = 'completed' WHERE request_id = ?", (f"{7:010x}",))
    for n in range(50):
        calls.mark_originated(f"{n:010x}")
    assert set((await states(db)).values()) == {"queued", "completed"}  # not yet written
    async with asyncio.timeout(5):
        while "queued" in (await states(db)).values():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    written = await states(db)
    assert written.pop(f"{7:010x}") == "completed"
    assert set(written.values()) == {"originated"}


async def test_close_writes_what_is_still_deferred(tmp_path: Path) -> None:
    db = store_at(tmp_path / "store.sqlite3")
    await db.open()
    calls = await placed(db, 3)
    for n in range(3):
        calls.mark_originated(f"{n:010x}")
    await db.close()
    await db.open()
    try:
        assert set((await states(db)).values()) == {"originated"}
    finally:
        await db.close()
