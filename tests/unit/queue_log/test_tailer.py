"""The tailer stores every queue_log line exactly once across rotation, truncation and
restarts; ``poll_once`` is driven directly so no test waits on a timer."""

from __future__ import annotations

import os
from pathlib import Path

from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.store.db import Database


def line(n: int, event: str = "RINGNOANSWER", callid: str = "c1") -> str:
    return f"{1795363400 + n}|{callid}|sales|Agent {n}|{event}|{n}000"


def append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write("".join(f"{text}\n" for text in lines))


async def stored(db: Database) -> list[str]:
    rows = await db.fetchall("SELECT epoch, agent FROM queue_log ORDER BY epoch, id")
    return [f"{row[0]}/{row[1]}" for row in rows]


def expected(*numbers: int) -> list[str]:
    return [f"{1795363400 + n}/Agent {n}" for n in numbers]


async def test_lines_appended_between_polls_are_stored_once(tailer, db, log_path):
    append(log_path, line(1), line(2))
    assert await tailer.poll_once() == 2
    assert await tailer.poll_once() == 0
    append(log_path, line(3))
    assert await tailer.poll_once() == 1
    assert await stored(db) == expected(1, 2, 3)


async def test_a_partial_last_line_waits_for_its_newline(tailer, db, log_path):
    append(log_path, line(1))
    with log_path.open("a") as file:
        file.write(line(2)[:10])
    assert await tailer.poll_once() == 1
    with log_path.open("a") as file:
        file.write(line(2)[10:] + "\n")
    assert await tailer.poll_once() == 1
    assert await stored(db) == expected(1, 2)


async def test_identical_repeated_lines_are_all_stored(tailer, db, log_path):
    append(log_path, line(1), line(1), line(1))
    assert await tailer.poll_once() == 3
    assert await db.fetchval("SELECT COUNT(*) FROM queue_log") == 3


async def test_rotation_mid_tail_loses_and_duplicates_nothing(tailer, db, log_path):
    """logger rotate: rename to .0 (late writes still land in it), new file; then .1."""
    append(log_path, line(1), line(2))
    assert await tailer.poll_once() == 2
    with log_path.open("a", encoding="utf-8") as old_handle:
        log_path.rename(log_path.with_name("queue_log.0"))
        old_handle.write(line(3) + "\n")  # written to the renamed file
        append(log_path, line(4))  # the new live file
        old_handle.write(line(5) + "\n")
    assert await tailer.poll_once() == 3
    append(log_path, line(6))
    with log_path.open("a", encoding="utf-8") as old_handle:
        log_path.rename(log_path.with_name("queue_log.1"))
        old_handle.write(line(7) + "\n")
        append(log_path, line(8))
    assert await tailer.poll_once() == 3
    assert await tailer.poll_once() == 0
    assert sorted(await stored(db)) == expected(1, 2, 3, 4, 5, 6, 7, 8)


async def test_rotations_while_stopped_are_caught_up_in_order(db, log_path):
    first = QueueLogTailer(log_path, QueueLogRepository(db), 0.01)
    append(log_path, line(1))
    await first.poll_once()
    append(log_path, line(2))
    log_path.rename(log_path.with_name("queue_log.0"))
    append(log_path, line(3))
    log_path.rename(log_path.with_name("queue_log.1"))
    append(log_path, line(4))
    restarted = QueueLogTailer(log_path, QueueLogRepository(db), 0.01)
    assert await restarted.poll_once() == 3
    assert await stored(db) == expected(1, 2, 3, 4)


async def test_truncation_restarts_at_the_beginning(tailer, db, log_path):
    append(log_path, line(1), line(2), line(3))
    await tailer.poll_once()
    os.truncate(log_path, 0)
    append(log_path, line(4))
    assert await tailer.poll_once() == 1
    assert await stored(db) == expected(1, 2, 3, 4)


async def test_a_file_rewritten_in_place_is_read_from_the_start(tailer, db, log_path):
    append(log_path, line(1))
    await tailer.poll_once()
    with log_path.open("w", encoding="utf-8") as file:  # same inode, new content, larger
        file.write(f"{line(5)}\n{line(6)}\n")
    assert await tailer.poll_once() == 2
    assert await stored(db) == expected(1, 5, 6)


async def test_a_restarted_tailer_resumes_at_the_saved_offset(db, log_path):
    append(log_path, line(1), line(2))
    assert await QueueLogTailer(log_path, QueueLogRepository(db), 0.01).poll_once() == 2
    append(log_path, line(3))
    restarted = QueueLogTailer(log_path, QueueLogRepository(db), 0.01)
    assert await restarted.poll_once() == 1
    assert await stored(db) == expected(1, 2, 3)


async def test_rereading_a_file_from_zero_stores_nothing_twice(db, log_path):
    """A lost offset (or an operator resetting it) cannot duplicate lines."""
    append(log_path, line(1), line(2))
    await QueueLogTailer(log_path, QueueLogRepository(db), 0.01).poll_once()
    await db.execute("DELETE FROM queue_log_positions")
    assert await QueueLogTailer(log_path, QueueLogRepository(db), 0.01).poll_once() == 2
    assert await stored(db) == expected(1, 2)


async def test_batches_smaller_than_the_file_still_read_everything(db, log_path):
    append(log_path, *(line(n) for n in range(1, 201)))
    small = QueueLogTailer(log_path, QueueLogRepository(db), 0.01, batch_bytes=512)
    assert await small.poll_once() == 200
    assert await stored(db) == expected(*range(1, 201))


async def test_a_missing_file_is_waited_for(tailer, db, log_path):
    assert await tailer.poll_once() == 0
    append(log_path, line(1))
    assert await tailer.poll_once() == 1
