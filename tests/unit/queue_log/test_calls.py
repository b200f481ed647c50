"""queue_calls merged in Python equals what the set-based SQL upserts it replaced gave,
and the daily rollup equals the numbers derived from queue_calls.

The reference is the SQL of migration 0300's era (copied below, applied per batch as
the repository applied it): the same generated log, full of awkward orders (DID after
ENTERQUEUE, re-entries, overflows, tailing begun mid-call, a CONNECT after the end,
odd positions), is ingested by both in small batches so calls straddle batches, then
read again from offset 0, and every derived table must be equal row for row, ids
included.
"""

from __future__ import annotations

import atexit
import random
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from cpaas_daemon.queue_log.calls import hold_bucket, sql_int
from cpaas_daemon.queue_log.parser import (
    ANSWERED_END,
    MEMBER_NAME_EVENTS,
    UNANSWERED_END,
    parse_line,
)
from cpaas_daemon.queue_log.repository import FileState, QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.store.db import Database, Transaction
from cpaas_daemon.store.sqlite import SqliteDatabase
from tests.fixtures import ASTERISK
from tests.store_rig import store_at

# One in-memory SQLite for reference casts, closed when the module is unloaded.
_SQLITE = sqlite3.connect(":memory:")
atexit.register(_SQLITE.close)


def _in(values: frozenset[str]) -> str:
    return ", ".join(f"'{value}'" for value in sorted(values))


LEGACY_SQL = (
    """INSERT INTO queue_calls (callid, queue, enter_epoch, status, event, did)
    SELECT callid, queue, epoch, 'pending', 'DID', data1 FROM queue_log
    WHERE id > ? AND event = 'DID'
    ON CONFLICT (callid, queue) DO UPDATE SET did = excluded.did""",
    """INSERT INTO queue_calls (callid, queue, enter_epoch, status, event, url, callerid, position)
    SELECT callid, queue, epoch, 'waiting', 'ENTERQUEUE', data1, data2, CAST(data3 AS INTEGER)
    FROM queue_log WHERE id > ? AND event = 'ENTERQUEUE'
    ON CONFLICT (callid, queue) DO UPDATE SET enter_epoch = excluded.enter_epoch,
        url = excluded.url, callerid = excluded.callerid, position = excluded.position,
        status = CASE status WHEN 'pending' THEN 'waiting' ELSE status END,
        event = CASE status WHEN 'pending' THEN 'ENTERQUEUE' ELSE event END""",
    """INSERT INTO queue_calls (callid, queue, enter_epoch, status, event, agent, wait, ring)
    SELECT callid, queue, epoch - IFNULL(wait, 0), 'answered', 'CONNECT', agent,
        IFNULL(wait, 0), IFNULL(ring, 0)
    FROM queue_log WHERE id > ? AND event = 'CONNECT'
    ON CONFLICT (callid, queue) DO UPDATE SET status = 'answered', agent = excluded.agent,
        wait = excluded.wait, ring = excluded.ring,
        event = CASE WHEN end_epoch IS NULL THEN 'CONNECT' ELSE event END""",
    f"""INSERT INTO queue_calls
        (callid, queue, enter_epoch, end_epoch, status, event, agent, wait, talk)
    SELECT callid, queue, epoch - IFNULL(wait, 0) - IFNULL(talk, 0), epoch, 'answered',
        event, agent, IFNULL(wait, 0), IFNULL(talk, 0)
    FROM queue_log WHERE id > ? AND event IN ({_in(ANSWERED_END)})
    ON CONFLICT (callid, queue) DO UPDATE SET status = 'answered', event = excluded.event,
        end_epoch = excluded.end_epoch, agent = excluded.agent, wait = excluded.wait,
        talk = excluded.talk""",
    f"""INSERT INTO queue_calls (callid, queue, enter_epoch, end_epoch, status, event, wait,
        end_position)
    SELECT callid, queue, epoch - IFNULL(wait, 0), epoch, 'unanswered', event, IFNULL(wait, 0),
        CAST(CASE event WHEN 'EXITWITHKEY' THEN data2 ELSE data1 END AS INTEGER)
    FROM queue_log WHERE id > ? AND event IN ({_in(UNANSWERED_END)})
    ON CONFLICT (callid, queue) DO UPDATE SET status = 'unanswered', event = excluded.event,
        end_epoch = excluded.end_epoch, wait = excluded.wait,
        end_position = excluded.end_position""",
    # The plan SQLite chose for this one (through queue_log_queue_time) gives new queues
    # their ids in name order.
    """INSERT OR IGNORE INTO queue_names (name)
    SELECT DISTINCT queue FROM queue_log WHERE id > ? AND queue != ''""",
    f"""INSERT OR IGNORE INTO agent_names (name)
    SELECT DISTINCT agent FROM queue_log
    WHERE id > ? AND event IN ({_in(MEMBER_NAME_EVENTS)}) AND agent NOT IN ('', 'NONE')""",
    f"""INSERT OR IGNORE INTO agent_queues (agent_id, queue_id)
    SELECT DISTINCT a.agent_id, q.queue_id FROM queue_log l
    JOIN agent_names a ON a.name = l.agent JOIN queue_names q ON q.name = l.queue
    WHERE l.id > ? AND l.event IN ({_in(MEMBER_NAME_EVENTS)})""",
)


class LegacyRepository(QueueLogRepository):
    """The repository as it was: INSERT OR IGNORE, then the set-based upserts."""

    @staticmethod
    async def _ingest(conn: Transaction, file_id, rows: Sequence) -> None:
        (row,) = await conn.fetchall("SELECT IFNULL(MAX(id), 0) FROM queue_log")
        last_id = row[0]
        await conn.executemany(
            "INSERT OR IGNORE INTO queue_log (file_id, offset, epoch, callid, queue, agent,"
            " event, data1, data2, data3, data4, data5, extra, wait, talk, ring)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((file_id, *row) for row in rows),
        )
        for statement in LEGACY_SQL:
            await conn.execute(statement, (last_id,))


QUEUES = ("sales", "support", "b", "a", "2000")
AGENTS = ("Agent 1", "Agent 2", "Agent 3", "Local/4@agents", "NONE", "")
POSITIONS = ("1", "2", "", " 7", "3abc", "x", "-2", "+4", "1.9", "99999999999999999999")


def _call(rng: random.Random, number: int, now: int) -> list[str]:
    """One call's lines, often in an order or shape a real PBX rarely writes."""
    callid = f"{now}.{number}"
    queue = rng.choice(QUEUES)
    lines: list[tuple[int, str]] = []

    def add(at: int, agent: str, event: str, *data: str) -> None:
        lines.append((at, f"{at}|{callid}|{queue}|{agent}|{event}|{'|'.join(data)}"))

    if rng.random() < 0.3:
        add(now, "NONE", "DID", f"555{number % 13}")
    if rng.random() < 0.9:  # else tailing began mid-call
        add(now, "NONE", "ENTERQUEUE", f"url{number % 3}", f"06{number}", rng.choice(POSITIONS))
    wait = rng.randint(0, 130)
    for _ in range(rng.randint(0, 2)):
        add(now + 3, rng.choice(AGENTS), rng.choice(("RINGNOANSWER", "RINGCANCELED")), "4500")
    fate = rng.random()
    agent = rng.choice(AGENTS)
    talk = rng.randint(0, 900)
    if fate < 0.6:
        if rng.random() < 0.9:
            add(now + wait, agent, "CONNECT", str(wait), f"{callid}b", str(rng.randint(0, 9)))
        if rng.random() < 0.85:
            end = rng.choice(sorted(ANSWERED_END))
            if "TRANSFER" in end:
                add(now + wait + talk, agent, end, "300", "ctx", str(wait), str(talk), "1")
            else:
                add(now + wait + talk, agent, end, str(wait), str(talk), "1")
        if rng.random() < 0.05:  # a late CONNECT after the end
            add(now + wait + talk + 1, agent, "CONNECT", "1", "x", "2")
    elif fate < 0.95:
        end = rng.choice(sorted(UNANSWERED_END))
        if end == "EXITWITHKEY":
            add(now + wait, "NONE", end, "5", rng.choice(POSITIONS), "1", str(wait))
        else:
            add(now + wait, "NONE", end, rng.choice(POSITIONS), "1", str(wait))
    if rng.random() < 0.05:  # enters again: the last entry wins
        add(now + wait + talk + 5, "NONE", "ENTERQUEUE", "again", f"06{number}", "1")
    if rng.random() < 0.1:
        add(now, "NONE", "DID", "late")
    if rng.random() < 0.1:  # overflow: the same call in another queue
        queue = rng.choice(QUEUES)
        add(now + 1, "NONE", "ENTERQUEUE", "", f"06{number}", "1")
        add(now + 9, "NONE", "EXITWITHTIMEOUT", "1", "1", "8")
    if rng.random() < 0.05:
        add(now, rng.choice(AGENTS), rng.choice(("PAUSE", "UNPAUSE", "AGENTLOGIN")), "x")
    return [text for _, text in lines]


def generate(path: Path, calls: int, seed: int, gap: int = 900) -> None:
    """``calls`` calls starting 2026-09-21, 0 to ``gap`` seconds apart."""
    rng = random.Random(seed)
    lines = ["1790000000|NONE|NONE|NONE|QUEUESTART|"]
    now = 1_790_000_000
    for number in range(calls):
        now += rng.randint(0, gap)
        lines.extend(_call(rng, number, now))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


DERIVED = (
    "SELECT * FROM queue_calls ORDER BY callid, queue",
    "SELECT * FROM queue_names ORDER BY queue_id",
    "SELECT * FROM agent_names ORDER BY agent_id",
    "SELECT * FROM agent_queues ORDER BY agent_id, queue_id",
)
ROLLUP_FROM_DETAIL = """SELECT enter_epoch - (enter_epoch % 86400 + 86400) % 86400, status, queue,
    agent, event, CASE WHEN wait <= 15 THEN 1 WHEN wait > 90 THEN 7 ELSE (wait + 14) / 15 END,
    COUNT(*), SUM(wait), SUM(talk)
FROM queue_calls WHERE status IN ('answered', 'unanswered') GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6"""
ROLLUP = "SELECT * FROM queue_calls_daily ORDER BY day, status, queue, agent, event, hold"
_HOUR = "enter_epoch - (enter_epoch % 3600 + 3600) % 3600"
_HOLD = "CASE WHEN wait <= 15 THEN 1 WHEN wait > 90 THEN 7 ELSE (wait + 14) / 15 END"
HOURLY_FROM_DETAIL = (
    " UNION ALL ".join(
        f"SELECT status, '{dimension}' AS dimension, {_HOUR} AS hour,"
        f" CAST({value} AS TEXT) AS value, COUNT(*) AS calls, SUM(wait) AS wait,"
        f" SUM(talk) AS talk FROM queue_calls"
        f" WHERE status IN ({statuses}) GROUP BY status, {_HOUR}, {value}"
        for dimension, value, statuses in (
            ("queue", "queue", "'answered', 'unanswered'"),
            ("agent", "agent", "'answered'"),
            ("event", "event", "'answered'"),
            ("hold", _HOLD, "'answered'"),
        )
    )
    + " ORDER BY status, dimension, hour, value"
)
HOURLY = "SELECT * FROM queue_calls_hourly ORDER BY status, dimension, hour, value"


async def ingest(db: Database, log: Path, repository: type, batch: int) -> None:
    tailer = QueueLogTailer(log, repository(db), 0.01, batch_bytes=batch)
    await tailer.poll_once()


async def tables(db: Database, statements: Sequence[str]) -> list[list[tuple]]:
    return [[tuple(row) for row in await db.fetchall(sql)] for sql in statements]


async def open_db(path: Path) -> Database:
    db = store_at(path)
    await db.open()
    return db


@pytest.mark.slow  # seconds of generated data; make test-fast leaves it to make test
@pytest.mark.parametrize(("seed", "batch"), [(1, 400), (2, 2000), (3, 1 << 20)])
async def test_python_merge_equals_the_sql_upserts(tmp_path, seed, batch):
    log = tmp_path / "queue_log"
    generate(log, 1500, seed)
    # The legacy SQL is SQLite's: the reference runs there, the repository on the test store.
    new, old = await open_db(tmp_path / "new.db"), SqliteDatabase(tmp_path / "old.db")
    await old.open()
    try:
        await ingest(new, log, QueueLogRepository, batch)
        await ingest(old, log, LegacyRepository, batch)
        assert await tables(new, DERIVED) == await tables(old, DERIVED)
        assert await new.fetchval("SELECT COUNT(*) FROM queue_calls") > 1500
        # The offset lost, the file read again from 0: nothing changes.
        before = await tables(new, (*DERIVED, ROLLUP, HOURLY))
        await new.execute("DELETE FROM queue_log_positions")
        await ingest(new, log, QueueLogRepository, batch * 3)
        assert await tables(new, (*DERIVED, ROLLUP, HOURLY)) == before
    finally:
        await new.close()
        await old.close()


@pytest.mark.slow  # seconds of generated data; make test-fast leaves it to make test
@pytest.mark.parametrize("seed", [4, 5])
async def test_rollup_equals_the_numbers_derived_from_queue_calls(tmp_path, seed):
    log = tmp_path / "queue_log"
    generate(log, 2000, seed)
    db = await open_db(tmp_path / "store.db")
    try:
        await ingest(db, log, QueueLogRepository, 700)
        rollup = await db.fetchall(ROLLUP)
        assert rollup
        assert [tuple(row) for row in rollup] == [
            tuple(row) for row in await db.fetchall(ROLLUP_FROM_DETAIL)
        ]
        assert await db.fetchval("SELECT COUNT(*) FROM queue_calls_daily WHERE calls <= 0") == 0
        # Calls straddle the 700-byte batches: CONNECT, then COMPLETE* moves them.
        assert await tables(db, (HOURLY,)) == await tables(db, (HOURLY_FROM_DETAIL,))
        assert await db.fetchval("SELECT COUNT(*) FROM queue_calls_hourly WHERE calls <= 0") == 0
    finally:
        await db.close()


async def test_rollup_on_the_asterisk_fixture_counts_its_five_calls(tailer, db, log_path):
    shutil.copy(ASTERISK / "queue_log.txt", log_path)
    await tailer.poll_once()
    rows = [tuple(row) for row in await db.fetchall(ROLLUP)]
    assert rows == [tuple(row) for row in await db.fetchall(ROLLUP_FROM_DETAIL)]
    day = 1795363294 - 1795363294 % 86400
    assert [(r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[8]) for r in rows] == [
        (day, "answered", "sales", "Agent 201", "COMPLETEAGENT", 1, 0, 5),
        (day, "answered", "sales", "Agent 202", "COMPLETECALLER", 1, 0, 6),
        (day, "unanswered", "support", "", "ABANDON", 3, 34, 0),
    ]


async def test_the_migration_fills_the_rollup_from_stored_calls(tmp_path):
    """A store ingested before migration 0302 gets a rollup equal to its calls."""
    log = tmp_path / "queue_log"
    generate(log, 500, 6)
    db = await open_db(tmp_path / "store.db")
    try:
        await ingest(db, log, QueueLogRepository, 1 << 20)
        expected = await tables(db, (ROLLUP,))
        await db.execute("DELETE FROM queue_calls_daily")
        await db.execute("DELETE FROM schema_version WHERE version = 302")
        await db.execute("DROP INDEX queue_calls_report")
        await db.execute("CREATE INDEX queue_calls_status_time ON queue_calls (status)")
        await db.execute("DROP TABLE queue_calls_daily")
        await db.migrate()
        assert await tables(db, (ROLLUP,)) == expected
    finally:
        await db.close()


async def test_the_migration_fills_the_hourly_rollup_from_stored_calls(tmp_path):
    """A store ingested before migration 0303 gets an hourly rollup equal to its calls."""
    log = tmp_path / "queue_log"
    generate(log, 500, 6)
    db = await open_db(tmp_path / "store.db")
    try:
        await ingest(db, log, QueueLogRepository, 1 << 20)
        expected = await tables(db, (HOURLY,))
        assert expected[0]
        assert expected == await tables(db, (HOURLY_FROM_DETAIL,))
        await db.execute("DELETE FROM schema_version WHERE version = 303")
        await db.execute("DROP TABLE queue_calls_hourly")
        await db.migrate()
        assert await tables(db, (HOURLY,)) == expected
    finally:
        await db.close()


@pytest.mark.parametrize(
    "text",
    ["", "0", "7", " 7", "\t-3", "+4", "3abc", "x", "1.9", "1e5", "-", "+", " ", "0x10",
     "99999999999999999999", "-99999999999999999999", "９"],
)  # fmt: skip
def test_sql_int_is_sqlites_cast_as_integer(text):
    expected = _SQLITE.execute("SELECT CAST(? AS INTEGER)", (text,))
    assert sql_int(text) == expected.fetchone()[0]


@pytest.mark.parametrize("wait", [-20, -1, 0, 1, 15, 16, 30, 31, 90, 91, 10_000])
def test_hold_bucket_is_the_reports_sql_bucket(wait):
    expected = _SQLITE.execute("SELECT MIN(MAX((? + 14) / 15, 1), 7)", (wait,))
    assert hold_bucket(wait) == expected.fetchone()[0]


async def test_a_line_offered_twice_in_one_batch_counts_once(db):
    """As INSERT OR IGNORE did: the first line at an offset wins, the repeat changes nothing."""
    enter = parse_line("1795363200|a|sales|NONE|ENTERQUEUE||0611|1", 0)
    again = parse_line("1795363260|a|sales|NONE|ENTERQUEUE|dup|0611|1", 0)
    connect = parse_line("1795363210|a|sales|Agent 1|CONNECT|10|a2|1", 100)
    assert enter
    assert again
    assert connect
    await QueueLogRepository(db).store("x", FileState(1, 200, 1), 1, [connect, enter, again])
    row = await db.fetchone("SELECT enter_epoch, url, status FROM queue_calls")
    assert tuple(row) == (1795363200, "", "answered")
    assert await db.fetchval("SELECT COUNT(*) FROM queue_log") == 2
