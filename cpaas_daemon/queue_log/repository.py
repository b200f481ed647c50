"""Writes of the queue_log domain: lines, the queue_calls they imply, and the offset.

Everything a batch changes is written in one transaction, so the stored offset is
always exactly the end of the lines stored from that file: a crash or a restart
resumes without a gap or a repeat. ``INSERT OR IGNORE`` on (file_id, offset) makes
re-reading a file (a lost offset, a rotated file found again) harmless too, and the
queue_calls upserts only read rows with a new id, so an ignored line changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from cpaas_daemon.queue_log.parser import ANSWERED_END, MEMBER_NAME_EVENTS, UNANSWERED_END
from cpaas_daemon.store.db import Database


@dataclass(frozen=True)
class FileState:
    """Where the tailer stands in one file. ``first_line_hash`` is None before line 1."""

    inode: int
    offset: int
    first_line_hash: int | None


def _in(values: frozenset[str]) -> str:
    return ", ".join(f"'{value}'" for value in sorted(values))


_INSERT_LINE = (
    "INSERT OR IGNORE INTO queue_log (file_id, offset, epoch, callid, queue, agent, event,"
    " data1, data2, data3, data4, data5, extra, wait, talk, ring)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# Applied in lifecycle order to the rows of one batch (``id > ?``), so a call whose
# DID, ENTERQUEUE, CONNECT and COMPLETE lines arrive together ends up complete. Each
# statement inserts when an earlier line is missing (tailing began mid-call), deriving
# the enter time from the durations the line carries.
_MATERIALISE = (
    # DID precedes ENTERQUEUE (Asternic's dialplan convention); the call is "pending".
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


class QueueLogRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load_state(self, path: str) -> FileState | None:
        row = await self._db.fetchone(
            "SELECT inode, offset, first_line_hash FROM queue_log_offsets WHERE path = ?",
            (path,),
        )
        return None if row is None else FileState(row[0], row[1], row[2])

    async def store(
        self, path: str, state: FileState, file_id: int | None, rows: Sequence[tuple[object, ...]]
    ) -> None:
        """Store a batch of lines read from the file ``file_id`` and the new offset, at once."""
        async with self._db.transaction() as conn:
            if rows:
                await self._ingest(conn, file_id, rows)
            await conn.execute(
                "INSERT INTO queue_log_offsets (path, inode, offset, first_line_hash)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET inode = excluded.inode,"
                " offset = excluded.offset, first_line_hash = excluded.first_line_hash,"
                " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
                (path, state.inode, state.offset, state.first_line_hash),
            )

    @staticmethod
    async def _ingest(
        conn: aiosqlite.Connection, file_id: int | None, rows: Sequence[tuple[object, ...]]
    ) -> None:
        async with conn.execute("SELECT IFNULL(MAX(id), 0) FROM queue_log") as cursor:
            row = await cursor.fetchone()
        last_id = row[0] if row else 0
        await conn.executemany(_INSERT_LINE, ((file_id, *row) for row in rows))
        for statement in _MATERIALISE:
            await conn.execute(statement, (last_id,))
