"""The ``callbacks`` table, the truth the scheduler is rebuilt from.

Every state change is one conditional UPDATE (``WHERE state IN (...)``) whose row count
says whether it happened, so the API and the dialer can race without a lock: whoever
changes the row first wins, the other sees ``False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cpaas_daemon.callbacks.model import Callback, CallbackSpec, CallbackState
from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.calls.repository import CallOutcome, CallRepository
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.timefmt import iso, parse_iso, utc_now

ID_ATTEMPTS = 5


def _spec_columns(spec: CallbackSpec, due: datetime) -> tuple[str, ...]:
    """agent_number .. due_at, in the column order insert and reschedule both write."""
    return (
        spec.agent_number,
        spec.caller_id,
        spec.destination_number,
        spec.recording_option,
        spec.time_zone,
        spec.scheduled_at,
        iso(due),
    )


class CallbackRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, account_id: str, spec: CallbackSpec, due: datetime) -> str:
        """Store a new scheduled callback; returns its request_id.

        The id becomes the call's request_id too, so it must be unused in ``calls`` as
        well as here (10 hex characters collide long before a store is full).
        """
        now = iso(utc_now())
        for _ in range(ID_ATTEMPTS):
            request_id = new_request_id()
            inserted = await self._db.execute(
                "INSERT INTO callbacks (request_id, account_id, agent_number,"
                " caller_id, destination_number, recording_option, time_zone, scheduled_at,"
                " due_at, created_at, updated_at)"
                " SELECT ?,?,?,?,?,?,?,?,?,?,?"
                " WHERE NOT EXISTS (SELECT 1 FROM call_records WHERE request_id = ?)"
                " ON CONFLICT DO NOTHING",
                (request_id, account_id, *_spec_columns(spec, due), now, now, request_id),
            )
            if inserted:
                return request_id
        raise StoreUnavailable("could not allocate a unique request_id")

    async def get(self, request_id: str, account_id: str | None = None) -> Callback | None:
        """``account_id`` scopes the lookup: another account's callback is not found."""
        sql, params = "SELECT * FROM callbacks WHERE request_id = ?", [request_id]
        if account_id is not None:
            sql += " AND account_id = ?"
            params.append(account_id)
        row = await self._db.fetchone(sql, params)
        return None if row is None else Callback.from_row(row)

    async def in_state(
        self, state: CallbackState, *, updated_before: datetime | None = None
    ) -> list[Callback]:
        sql, params = "SELECT * FROM callbacks WHERE state = ?", [state.value]
        if updated_before is not None:
            sql += " AND updated_at < ?"
            params.append(iso(updated_before))
        rows = await self._db.fetchall(sql + " ORDER BY due_at", params)
        return [Callback.from_row(row) for row in rows]

    async def due_by(self, moment: datetime) -> list[tuple[str, datetime]]:
        """``(request_id, due_at)`` of every ``scheduled`` callback due at or before
        ``moment``, earliest first: what every node polls (index callbacks_state_due)."""
        rows = await self._db.fetchall(
            "SELECT request_id, due_at FROM callbacks WHERE state = 'scheduled'"
            " AND due_at <= ? ORDER BY due_at",
            (iso(moment),),
        )
        return [(row["request_id"], parse_iso(row["due_at"])) for row in rows]

    async def reschedule(self, request_id: str, spec: CallbackSpec, due: datetime) -> bool:
        """Replace the spec and due time of a callback that is still ``scheduled``."""
        changed = await self._db.execute(
            "UPDATE callbacks SET agent_number=?, caller_id=?, destination_number=?,"
            " recording_option=?, time_zone=?, scheduled_at=?, due_at=?, reason='',"
            " updated_at=? WHERE request_id=? AND state='scheduled'",
            (*_spec_columns(spec, due), iso(utc_now()), request_id),
        )
        return changed == 1

    async def claim(self, request_id: str, due: datetime) -> bool:
        """``scheduled`` -> ``dialing``, only if nobody changed the row since it was read
        (same due time). This is what makes a callback dial at most once."""
        changed = await self._db.execute(
            "UPDATE callbacks SET state='dialing', attempts=attempts+1, updated_at=?"
            " WHERE request_id=? AND state='scheduled' AND due_at=?",
            (iso(utc_now()), request_id, iso(due)),
        )
        return changed == 1

    async def move(
        self,
        request_id: str,
        to: CallbackState,
        allowed_from: Iterable[CallbackState],
        *,
        reason: str = "",
        dial_status: str | None = None,
    ) -> bool:
        """Change state if the row is in one of ``allowed_from``; ``dial_status`` is kept
        when not given."""
        sources = [state.value for state in allowed_from]
        marks = ",".join("?" * len(sources))
        changed = await self._db.execute(
            "UPDATE callbacks SET state=?, reason=?, dial_status=COALESCE(?, dial_status),"
            f" updated_at=? WHERE request_id=? AND state IN ({marks})",
            (to.value, reason, dial_status, iso(utc_now()), request_id, *sources),
        )
        return changed == 1

    async def call_outcome(self, request_id: str) -> CallOutcome | None:
        """The call placed for this callback, read through the calls table's owner."""
        return await CallRepository(self._db).outcome(request_id)
