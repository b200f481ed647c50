"""get_cdr_by_date at any offset gives the page the plain OFFSET gives, with whole hours
skipped by ``cdr_hour_counts`` (migration 0121), which the calls' writer keeps equal to
the calls with a CDR per account and hour of call_date, as summaries arrive and move.

The calls go through the owner's write path (``CallRepository.insert``, then
``write_summaries`` in batches, some re-summarised into another hour or with no start
time); the reference is the same query with the hour skipping switched off.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.cdr.queries import CdrQueries
from cpaas_daemon.cdr.summary import CdrSummary
from cpaas_daemon.store.db import Database
from tests.store_rig import store_at

COUNTS = "SELECT account_id, hour, n FROM cdr_hour_counts ORDER BY account_id, hour"
COUNTS_FROM_CALLS = (
    "SELECT account_id, substr(call_date, 1, 13) AS hour, COUNT(*) AS n FROM calls"
    " WHERE cdr_at IS NOT NULL AND call_date IS NOT NULL"
    " GROUP BY account_id, substr(call_date, 1, 13) ORDER BY account_id, hour"
)
FIRST, LAST = date(2026, 11, 3), date(2026, 11, 5)


def _summary(call_date: str | None) -> CdrSummary:
    return CdrSummary(call_date, call_date, call_date, 30.0, 20.0, "ANSWER", "ANSWERED", "u")


def _stamp(rng: random.Random) -> str:
    """Days 2-6 of November, clustered so many calls share a stamp; the range's edges
    (midnight of the 3rd and of the 6th) included."""
    day = rng.choice((2, 3, 3, 4, 4, 5, 5, 6))
    hour = rng.choice((0, 0, 9, 10, 10, 23))
    second = rng.choice((0, 0, 0, 1, 59))
    return f"2026-11-{day:02d}T{hour:02d}:00:{second:02d}.000Z"


@pytest.fixture
async def db(tmp_path: Path):
    database = store_at(tmp_path / "cdr.sqlite3")
    await database.open()
    yield database
    await database.close()


async def _calls(db: Database, rng: random.Random) -> list[str]:
    await db.executemany(
        "INSERT INTO accounts (account_id, auth_hash) VALUES (?, 'x')", [("a",), ("b",)]
    )
    calls = CallRepository(db)
    ids = []
    for n in range(240):
        request_id = f"{n + 1:08x}"
        account = "b" if n % 5 == 4 else "a"
        await calls.insert(
            CallRequest(request_id, account, CallKind.C2C, "PJSIP/1", "ctx", "s", "caller")
        )
        ids.append(request_id)
    batches = [ids[n::3] for n in range(3)]  # summaries arrive out of id order
    for batch in batches:
        async with db.transaction() as conn:
            summaries = [(request_id, _summary(_stamp(rng))) for request_id in batch]
            await CallRepository.write_summaries(conn, summaries, "2026-11-07T00:00:00.000Z")
    # Some calls summarised again: moved to another hour, the same one, or no start time.
    async with db.transaction() as conn:
        again = [(request_id, _summary(_stamp(rng))) for request_id in rng.sample(ids, 40)]
        again += [(ids[7], _summary(None)), (ids[8], _summary("2026-11-04T10:00:00.000Z"))]
        await CallRepository.write_summaries(conn, again, "2026-11-08T00:00:00.000Z")
    # Never summarised: no CDR, not in any page.
    await calls.insert(CallRequest("ffff", "a", CallKind.C2C, "PJSIP/1", "ctx", "s", "c"))
    return ids


async def test_counts_follow_the_calls_and_pages_equal_the_plain_offset(db, monkeypatch):
    rng = random.Random(7)
    await _calls(db, rng)
    counts = [tuple(row) for row in await db.fetchall(COUNTS)]
    assert counts == [tuple(row) for row in await db.fetchall(COUNTS_FROM_CALLS)]
    assert all(n > 0 for _, _, n in counts)
    queries = CdrQueries(db)
    total = await db.fetchval(
        "SELECT COUNT(*) FROM calls WHERE account_id = 'a' AND cdr_at IS NOT NULL"
        " AND call_date >= '2026-11-03' AND call_date < '2026-11-06'"
    )
    assert total > 100
    served = {}
    for limit in (1, 7, 50):
        for offset in [*range(0, total + 3, limit), total - 1, total, total + 1]:
            served[limit, offset] = await queries.by_date("a", FIRST, LAST, limit, offset)
    one_day = await queries.by_date("a", FIRST, FIRST, 1000, 5)

    async def plain(self, account_id, low, high, offset):
        return low, offset

    monkeypatch.setattr(CdrQueries, "_skip_hours", plain)
    for (limit, offset), page in served.items():
        assert page == await queries.by_date("a", FIRST, LAST, limit, offset), (limit, offset)
    assert one_day == await queries.by_date("a", FIRST, FIRST, 1000, 5)
    whole = await queries.by_date("a", FIRST, LAST, total + 10, 0)
    assert len(whole) == total
    dates = [row["call_date"] for row in whole]
    assert len(set(dates)) < total  # calls share a call_date: ties are broken by id
    assert [row for offset in range(0, total, 7) for row in served[7, offset]] == whole


async def test_a_page_past_the_hours_of_the_range_is_empty(db):
    await _calls(db, random.Random(3))
    queries = CdrQueries(db)
    assert await queries.by_date("a", date(2026, 11, 20), date(2026, 11, 21), 10, 5) == []
    total = len(await queries.by_date("a", FIRST, LAST, 10_000, 0))
    assert await queries.by_date("a", FIRST, LAST, 10, total) == []
    last = await queries.by_date("a", FIRST, LAST, 10, total - 1)
    assert [row["request_id"] for row in last] == [
        row["request_id"] for row in (await queries.by_date("a", FIRST, LAST, 10_000, 0))[-1:]
    ]


async def test_the_migration_counts_the_cdrs_already_stored(db):
    """A store upgraded past migration 0121 gets counts equal to its calls."""
    await _calls(db, random.Random(5))
    expected = [tuple(row) for row in await db.fetchall(COUNTS)]
    await db.execute("DROP VIEW cdr_hours")
    await db.execute("DROP TABLE cdr_hour_counts")
    await db.execute("DELETE FROM schema_version WHERE version = 121")
    await db.migrate()
    assert [tuple(row) for row in await db.fetchall(COUNTS)] == expected
    assert expected == [tuple(row) for row in await db.fetchall(COUNTS_FROM_CALLS)]
