"""Writes of the queue_log domain: lines, the queue_calls they imply, and the offset.

Everything a batch changes is written in one transaction, so the stored offset is
always exactly the end of the lines stored from that file: a crash or a restart
resumes without a gap or a repeat. Lines are keyed by (file_id, offset): the batch's
lines already stored (a lost offset, a rotated file found again) are left out before
anything is written, so re-reading a file changes nothing. One repository serves one PBX:
its lines and its read positions carry that PBX's id (two PBXs' files may share a path
or a first line).

The per-call rows are merged in Python (:mod:`cpaas_daemon.queue_log.calls`) and written
with one ``executemany`` per table: the calls' stored rows are read once by primary key,
the new and changed rows written once each, and the daily and hourly rollups get their
deltas.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.queue_log.calls import COLUMNS, Changes, Key, Row, merge, plan
from cpaas_daemon.queue_log.parser import QueueLogLine
from cpaas_daemon.store.db import Database, Transaction
from cpaas_daemon.timefmt import iso, utc_now


@dataclass(frozen=True)
class FileState:
    """Where the tailer stands in one file. ``first_line_hash`` is None before line 1."""

    inode: int
    offset: int
    first_line_hash: int | None


# file_id (an int, or NULL) and pbx_id (a validated identifier, PBX_ID_PATTERN) are
# written into the statement so that executemany binds the parsed lines as they are: no
# tuple per line to build (and for the GC to track).
_INSERT_LINE = (
    'INSERT INTO queue_log (pbx_id, file_id, "offset", epoch, callid, queue, agent, event,'
    " data1, data2, data3, data4, data5, extra, wait, talk, ring)"
    " VALUES ('{pbx_id}', {file_id}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_STORED_OFFSETS = (
    'SELECT "offset" FROM queue_log WHERE pbx_id = ? AND file_id = ? AND "offset" BETWEEN ? AND ?'
)
# The batch's callids go in as one JSON array (one statement, one parameter, any count).
_JSON_ARRAY = {
    "sqlite": "SELECT value FROM json_each(?)",
    "postgres": "SELECT json_array_elements_text(?::json)",
}
_STORED_CALLS = {
    dialect: f"SELECT {', '.join(COLUMNS)} FROM queue_calls WHERE callid IN ({elements})"
    for dialect, elements in _JSON_ARRAY.items()
}
_INSERT_CALL = (
    f"INSERT INTO queue_calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)
_UPDATE_CALL = (
    f"UPDATE queue_calls SET {', '.join(f'{column} = ?' for column in COLUMNS[2:])}"
    " WHERE callid = ? AND queue = ?"
)

# Both rollups take the same deltas the same way: an upsert of (key..., calls, wait,
# talk), then the delete of the keys that lost calls and may have none left.
_DAILY_KEY = "day, status, queue, agent, event, hold"
_DAILY = (
    f"INSERT INTO queue_calls_daily ({_DAILY_KEY}, calls, wait, talk)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    f" ON CONFLICT ({_DAILY_KEY}) DO UPDATE SET"
    " calls = queue_calls_daily.calls + excluded.calls,"
    " wait = queue_calls_daily.wait + excluded.wait,"
    " talk = queue_calls_daily.talk + excluded.talk",
    "DELETE FROM queue_calls_daily WHERE day = ? AND status = ? AND queue = ? AND agent = ?"
    " AND event = ? AND hold = ? AND calls = 0",
)
_HOURLY_KEY = "status, dimension, hour, value"
_HOURLY = (
    f"INSERT INTO queue_calls_hourly ({_HOURLY_KEY}, calls, wait, talk)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    f" ON CONFLICT ({_HOURLY_KEY}) DO UPDATE SET"
    " calls = queue_calls_hourly.calls + excluded.calls,"
    " wait = queue_calls_hourly.wait + excluded.wait,"
    " talk = queue_calls_hourly.talk + excluded.talk",
    "DELETE FROM queue_calls_hourly WHERE status = ? AND dimension = ? AND hour = ?"
    " AND value = ? AND calls = 0",
)
# Not ON CONFLICT DO NOTHING: PostgreSQL would spend an id on each known name, and these
# ids are the API's queue_id / agent_id, numbered 1, 2, 3 in order of first appearance.
_INSERT_QUEUE = (
    "INSERT INTO queue_names (name) SELECT ? AS name"
    " WHERE NOT EXISTS (SELECT 1 FROM queue_names WHERE name = ?)"
)
_INSERT_AGENT = (
    "INSERT INTO agent_names (name) SELECT ? AS name"
    " WHERE NOT EXISTS (SELECT 1 FROM agent_names WHERE name = ?)"
)
_INSERT_AGENT_QUEUE = (
    "INSERT INTO agent_queues (agent_id, queue_id)"
    " SELECT a.agent_id, q.queue_id FROM agent_names a, queue_names q"
    " WHERE a.name = ? AND q.name = ? ON CONFLICT DO NOTHING"
)


class QueueLogRepository:
    def __init__(self, db: Database, pbx_id: str = DEFAULT_PBX_ID) -> None:
        self._db = db
        self._pbx_id = pbx_id

    async def load_state(self, path: str) -> FileState | None:
        row = await self._db.fetchone(
            'SELECT inode, "offset", first_line_hash FROM queue_log_positions'
            " WHERE pbx_id = ? AND path = ?",
            (self._pbx_id, path),
        )
        return None if row is None else FileState(row[0], row[1], row[2])

    async def store(
        self,
        path: str,
        state: FileState,
        file_id: int | None,
        rows: Sequence[QueueLogLine],
    ) -> None:
        """Store a batch of lines read from the file ``file_id`` and the new offset, at once."""
        async with self._db.transaction() as conn:
            if rows:
                await self._ingest(conn, file_id, rows)
            await conn.execute(
                "INSERT INTO queue_log_positions"
                ' (pbx_id, path, inode, "offset", first_line_hash, updated_at)'
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pbx_id, path) DO UPDATE SET"
                ' inode = excluded.inode, "offset" = excluded."offset",'
                " first_line_hash = excluded.first_line_hash, updated_at = excluded.updated_at",
                (
                    self._pbx_id,
                    path,
                    state.inode,
                    state.offset,
                    state.first_line_hash,
                    iso(utc_now()),
                ),
            )

    async def _ingest(
        self,
        conn: Transaction,
        file_id: int | None,
        rows: Sequence[QueueLogLine],
    ) -> None:
        offsets = [row.offset for row in rows]
        bounds = (self._pbx_id, file_id, min(offsets), max(offsets))
        seen = {row[0] for row in await conn.fetchall(_STORED_OFFSETS, bounds)}
        if seen or len(set(offsets)) != len(offsets):
            rows = _unseen(rows, seen)  # read again: only the lines not stored yet count
            if not rows:
                return
        literal = "NULL" if file_id is None else str(int(file_id))
        await conn.executemany(_INSERT_LINE.format(pbx_id=self._pbx_id, file_id=literal), rows)
        batch = plan(rows)
        if batch.calls:
            changes = merge(batch.calls, await _stored_calls(conn, batch.calls))
            await _write_calls(conn, changes)
        if batch.queues:
            await conn.executemany(_INSERT_QUEUE, ((name, name) for name in batch.queues))
        if batch.agents:
            await conn.executemany(_INSERT_AGENT, ((name, name) for name in batch.agents))
        if batch.agent_queues:
            await conn.executemany(_INSERT_AGENT_QUEUE, batch.agent_queues)


def _unseen(rows: Sequence[QueueLogLine], seen: set[int]) -> list[QueueLogLine]:
    """The lines whose offset is neither stored nor taken by an earlier line of the batch
    (what ON CONFLICT DO NOTHING keeps)."""
    kept = []
    taken = set(seen)
    for row in rows:
        if row.offset not in taken:
            taken.add(row.offset)
            kept.append(row)
    return kept


async def _stored_calls(conn: Transaction, calls: Mapping[Key, object]) -> dict[Key, Row]:
    """The stored rows of the batch's calls, by (callid, queue)."""
    callids = json.dumps(list({callid for callid, _ in calls}))
    found = await conn.fetchall(_STORED_CALLS[conn.dialect], (callids,))
    return {key: list(row) for row in found if (key := (row[0], row[1])) in calls}


async def _write_calls(conn: Transaction, changes: Changes) -> None:
    if changes.inserts:
        await conn.executemany(_INSERT_CALL, changes.inserts)
    if changes.updates:
        await conn.executemany(
            _UPDATE_CALL, ([*row[2:], row[0], row[1]] for row in changes.updates)
        )
    await _write_rollup(conn, _DAILY, changes.rollup.items())
    await _write_rollup(conn, _HOURLY, changes.hourly.items())


async def _write_rollup(
    conn: Transaction,
    sql: tuple[str, str],
    rollup: Collection[tuple[tuple[object, ...], list[int]]],
) -> None:
    """Apply a rollup's deltas; a key that lost calls may have none left: delete it then."""
    add, drop = sql
    deltas = [(*key, *sums) for key, sums in rollup if any(sums)]
    if deltas:
        await conn.executemany(add, deltas)
        emptied = [key for key, sums in rollup if sums[0] < 0]
        if emptied:
            await conn.executemany(drop, emptied)
