"""Group commit for one INSERT that many coroutines run at once (a call's row).

Under load, tens of click2calls wait in line for the store's one write lock, and each
pays its own thread hop and commit. Here the rows that arrive while a write is under
way (or in the same loop tick as the first) go out together as one multi-row
``INSERT ... VALUES (...), (...)``: one statement, so one thread hop and one commit for
the lot, all or nothing. Each caller still awaits the commit that holds its row, so
"written before the Originate goes out" is exactly as true as with a lone INSERT.

A batch that fails (a duplicate key, say) is retried row by row, so only the guilty
row's caller sees the error; the others' rows are written as if alone.

A row may come with a :class:`Guard` (a PBX's lease, docs/scaling.md): rows with the
same guard share a batch, and the guard's check runs first in the batch's transaction,
so a row is committed only while the guard holds.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from typing import Any, Protocol

from cpaas_daemon.store.db import Database, Transaction
from cpaas_daemon.store.errors import StoreUnavailable

# SQLite binds at most 32,766 parameters per statement (3.32+); 16 columns x 500 rows
# stays well under it, and a batch that large is already one commit for 500 calls.
MAX_ROWS = 500


class Guard(Protocol):
    """A condition checked inside the transaction that writes the row (a fencing token):
    raising :class:`StoreUnavailable` from :meth:`check` rolls the batch back."""

    async def check(self, conn: Transaction) -> None: ...


_Pending = tuple[Sequence[Any], "asyncio.Future[None]", Guard | None]


class GroupInsert:
    """``INSERT INTO <table> (<columns>) VALUES`` for rows from many coroutines at once."""

    def __init__(self, db: Database, table: str, columns: Sequence[str]) -> None:
        self._db = db
        self._head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        self._values = "(" + ",".join("?" * len(columns)) + ")"
        self._width = len(columns)
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def insert(self, row: Sequence[Any], guard: Guard | None = None) -> None:
        """Return once ``row`` is committed; raise :class:`StoreUnavailable` if it was not
        (or whatever ``guard``'s check raised: then it was not either).

        A caller cancelled while waiting does not take its row back: it is written with
        its batch (as a lone INSERT already on the store's thread would be).
        """
        if len(row) != self._width:
            raise ValueError(f"row has {len(row)} values for {self._width} columns")
        loop = asyncio.get_running_loop()
        written: asyncio.Future[None] = loop.create_future()
        self._pending.append((row, written, guard))
        if self._writer is None:
            self._writer = loop.create_task(
                self._write(),
                name="store-group-insert",
                context=contextvars.Context(),  # not the log context of the first caller
            )
        await asyncio.shield(written)

    async def _write(self) -> None:
        batch: list[_Pending] = []
        try:
            while self._pending:
                batch, self._pending = _same_guard(self._pending)
                await self._write_batch(batch)
        except BaseException as exc:  # closed store, shutdown: no caller waits forever
            waiting, self._pending = [*batch, *self._pending], []
            for _, written, _ in waiting:
                if isinstance(exc, asyncio.CancelledError):
                    written.cancel()
                elif not written.done():
                    written.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._writer = None

    async def _write_batch(self, batch: list[_Pending]) -> None:
        try:
            await self._statement(batch)
        except StoreUnavailable as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for one in batch:  # only the guilty row's caller sees the error
                try:
                    await self._statement([one])
                except StoreUnavailable as alone:
                    _settle(one[1], alone)
                else:
                    _settle(one[1], None)
        else:
            for _, written, _ in batch:
                _settle(written, None)

    async def _statement(self, batch: list[_Pending]) -> None:
        sql = self._head + ",".join([self._values] * len(batch))
        params = [value for row, _, _ in batch for value in row]
        guard = batch[0][2]
        if guard is None:
            await self._db.execute(sql, params)
            return
        async with self._db.transaction() as conn:
            await guard.check(conn)
            await conn.execute(sql, params)


def _same_guard(pending: list[_Pending]) -> tuple[list[_Pending], list[_Pending]]:
    """The next batch (up to MAX_ROWS rows whose guard is the first row's: one check for
    them all) and the rows left waiting, in order. Calls placed at once on two PBXs are
    two batches, not one per row."""
    first = pending[0][2]
    batch: list[_Pending] = []
    rest: list[_Pending] = []
    for item in pending:
        (batch if item[2] == first and len(batch) < MAX_ROWS else rest).append(item)
    return batch, rest


def _settle(written: asyncio.Future[None], error: StoreUnavailable | None) -> None:
    if written.done():
        return
    if error is None:
        written.set_result(None)
    else:
        written.set_exception(error)
