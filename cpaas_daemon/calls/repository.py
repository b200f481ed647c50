"""The ``calls`` table: a request's lifecycle and, once CDRs arrive, its CDR summary.

This is the table's one writer: every INSERT, UPDATE and DELETE of ``calls`` is a named
method here (tests/unit/test_table_owners.py fails on any other module that writes it),
so the rules a row obeys (a completed call stays completed, a DND contact is born
completed) live in one place. Writes that must share another domain's transaction (the
CDR ingest's batch, a campaign target's DND) take that transaction's connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cpaas_daemon.calls.model import CallKind, CallRequest, CallState, DialStatus
from cpaas_daemon.cdr.summary import CdrSummary
from cpaas_daemon.store.db import Database, Row, Transaction
from cpaas_daemon.store.group_insert import GroupInsert, Guard
from cpaas_daemon.timefmt import iso, utc_now


@dataclass(frozen=True)
class CallNumbers:
    """The parties' numbers of a call, as the live-calls API shows them."""

    agent_number: str
    customer_number: str
    dialed_number: str

    @classmethod
    def from_row(cls, row: Row) -> CallNumbers:
        return cls(row["agent_number"], row["customer_number"], row["dialed_number"])


@dataclass(frozen=True)
class CallRecord:
    """One call as the other domains read it: a typed copy, not the store's row, so a
    column rename breaks here (and in mypy) rather than in a handler at run time."""

    request_id: str
    account_id: str
    kind: CallKind
    state: CallState
    numbers: CallNumbers
    recording_name: str
    recording_deleted_at: str | None
    dial_status: str | None

    @classmethod
    def from_row(cls, row: Row) -> CallRecord:
        return cls(
            request_id=row["request_id"],
            account_id=row["account_id"],
            kind=CallKind(row["kind"]),
            state=CallState(row["state"]),
            numbers=CallNumbers.from_row(row),
            recording_name=row["recording_name"],
            recording_deleted_at=row["recording_deleted_at"],
            dial_status=row["dial_status"],
        )


@dataclass(frozen=True)
class CallOutcome:
    """What the calls row says of a placed call: its state and, once summarised, its
    dial status (a callback recovering after a restart settles on it)."""

    state: CallState
    dial_status: str | None


@dataclass(frozen=True)
class CallAwaitingCdr:
    """A call with no CDR yet: what a CDR built from AMI's facts needs of it."""

    channel_id: str | None
    destination_context: str
    dialed_number: str
    created_at: str  # when the row was written, just before the Originate (ISO, UTC)


_RECORD_COLUMNS = (
    "request_id, account_id, kind, state, agent_number, customer_number, dialed_number,"
    " recording_name, recording_deleted_at, dial_status"
)


_INSERT_COLUMNS = (
    "request_id", "account_id", "kind", "direction", "agent_number", "customer_number",
    "dialed_number", "caller_id", "channel_id", "destination_context", "recording_name",
    "campaign_id", "list_id", "contact_id", "state", "created_at", "pbx_id",
)  # fmt: skip

# States of a call whose Originate was or may have been sent (not refused, not completed).
_PLACED = (CallState.QUEUED.value, CallState.ORIGINATED.value, CallState.UNCERTAIN.value)

CDR_HOUR = 13
"""``cdr_hour_counts``' key is the first this many characters of call_date (its hour)."""
_ADD_CDR_HOURS = (
    "INSERT INTO cdr_hour_counts (account_id, hour, n) VALUES (?, ?, ?)"
    " ON CONFLICT (account_id, hour) DO UPDATE SET n = cdr_hour_counts.n + excluded.n"
)
_DROP_EMPTY_CDR_HOURS = "DELETE FROM cdr_hour_counts WHERE account_id = ? AND hour = ? AND n = 0"
_ID_CHUNK = 500  # request ids per statement that names them (bound parameters)

# A call whose CDR already arrived stays completed, whatever AMI says after it.
_ADVANCE = f"UPDATE calls SET state = ? WHERE request_id = ? AND state != '{CallState.COMPLETED}'"


class CallRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._inserts = GroupInsert(db, "calls", _INSERT_COLUMNS)

    async def insert(
        self, call: CallRequest, state: CallState = CallState.QUEUED, fence: Guard | None = None
    ) -> None:
        """Written before the Originate goes out, so a crash can never hide a dialled call.

        Returns once the row is committed; calls placed at the same moment share that
        commit (:class:`~cpaas_daemon.store.group_insert.GroupInsert`). With ``fence``
        (the lease of the call's PBX) the row commits only while that lease still has
        this node and token: a node that lost the PBX writes nothing and dials nothing.
        """
        await self._inserts.insert(
            (
                call.request_id,
                call.account_id,
                call.kind.value,
                call.kind.direction,
                call.agent_number,
                call.customer_number,
                call.dialed_number,
                call.caller_id,
                call.channel_id if call.kind is not CallKind.INBOUND else None,
                call.context,
                call.recording_name,
                call.campaign_id,
                call.list_id,
                call.contact_id,
                state.value,
                iso(utc_now()),
                call.pbx_id,
            ),
            fence,
        )

    async def set_state(self, request_id: str, state: CallState) -> None:
        """Move a call forward; a call whose CDR already arrived stays completed."""
        await self._db.execute(
            _ADVANCE,
            (state.value, request_id),
        )

    def mark_originated(self, request_id: str) -> None:
        """``queued`` -> ``originated`` once Asterisk has accepted the Originate, written
        behind (batched with other calls'): the row already exists, and a crash that
        dropped this update would leave the call ``queued``, which its CDR still completes.
        """
        self._db.defer(
            _ADVANCE,
            (CallState.ORIGINATED.value, request_id),
        )

    async def set_recording(self, request_id: str, name: str) -> None:
        await self._db.execute(
            "UPDATE calls SET recording_name = ? WHERE request_id = ?", (name, request_id)
        )

    async def set_dtmf(self, request_id: str, digits: str) -> None:
        """The key a campaign contact pressed in the survey step (campaign calls only)."""
        await self._db.execute(
            "UPDATE calls SET dtmf_inputs = ? WHERE request_id = ? AND kind = ?",
            (digits, request_id, CallKind.CAMPAIGN.value),
        )

    async def mark_recordings_deleted(self, request_ids: Iterable[str], at: str) -> None:
        """The retention sweep deleted these calls' recording files at ``at``."""
        await self._db.executemany(
            "UPDATE calls SET recording_deleted_at = ? WHERE request_id = ?",
            [(at, request_id) for request_id in request_ids],
        )

    @staticmethod
    async def insert_dnd(
        conn: Transaction,
        *,
        request_id: str,
        account_id: str,
        number: str,
        caller_id: str,
        context: str,
        campaign_id: str,
        list_id: str | None,
        contact_id: int,
        at: str,
    ) -> None:
        """A campaign contact on the DND list: never dialled, born completed with dial
        status DND (as in the seed's CDR example). Takes the campaign's transaction, which
        also closes the target."""
        await conn.execute(
            "INSERT INTO calls (request_id, account_id, kind, direction, dialed_number,"
            " caller_id, destination_context, campaign_id, list_id, contact_id, is_dnd,"
            " state, created_at, call_date, dial_status, cdr_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?,?,?,?)",
            (
                request_id,
                account_id,
                CallKind.CAMPAIGN.value,
                CallKind.CAMPAIGN.direction,
                number,
                caller_id,
                context,
                campaign_id,
                list_id,
                contact_id,
                CallState.COMPLETED.value,
                at,
                at,
                DialStatus.DND.value,
                at,
            ),
        )
        await _count_cdr_hours(conn, {(account_id, at[:CDR_HOUR]): 1})

    @staticmethod
    async def write_summaries(
        conn: Transaction, summaries: Sequence[tuple[str, CdrSummary]], at: str
    ) -> None:
        """Store each request's CDR summary and complete it, in one statement for the
        batch, inside the CDR ingest's transaction (the legs and their summaries commit
        together). ``cdr_at`` keeps the first time a summary was written. A call's CDR
        moves in ``cdr_hour_counts`` from the hour of its old call_date (if it had a CDR)
        to the hour of the new one."""
        if not summaries:
            return
        stored = await _cdr_state(conn, [request_id for request_id, _ in summaries])
        hours: dict[tuple[str, str], int] = {}
        for request_id, summary in summaries:
            found = stored.get(request_id)
            if found is None:
                continue
            account_id, call_date, cdr_at = found
            if call_date is not None and cdr_at is not None:
                key = (account_id, call_date[:CDR_HOUR])
                hours[key] = hours.get(key, 0) - 1
            if summary.call_date is not None:
                key = (account_id, summary.call_date[:CDR_HOUR])
                hours[key] = hours.get(key, 0) + 1
            stored[request_id] = (account_id, summary.call_date, cdr_at or at)
        await conn.executemany(
            "UPDATE calls SET call_date=?, answer=?, end_time=?, call_duration=?,"
            " billsec=?, dial_status=?, call_status=?, uniqueid=?, state=?,"
            " cdr_at=COALESCE(cdr_at, ?) WHERE request_id = ?",
            [
                (
                    summary.call_date,
                    summary.answer,
                    summary.end_time,
                    summary.call_duration,
                    summary.billsec,
                    str(summary.dial_status),
                    str(summary.call_status),
                    summary.uniqueid,
                    CallState.COMPLETED.value,
                    at,
                    request_id,
                )
                for request_id, summary in summaries
            ],
        )
        await _count_cdr_hours(conn, hours)

    async def get(self, account_id: str, request_id: str) -> CallRecord | None:
        """A call of this account only: another account's request_id is simply not found."""
        row = await self._db.fetchone(
            f"SELECT {_RECORD_COLUMNS} FROM calls WHERE account_id = ? AND request_id = ?",
            (account_id, request_id),
        )
        return None if row is None else CallRecord.from_row(row)

    async def pbx_of(self, account_id: str, request_id: str) -> str | None:
        """The PBX an account's call was placed on (None: no such call of this account)."""
        value = await self._db.fetchval(
            "SELECT pbx_id FROM calls WHERE account_id = ? AND request_id = ?",
            (account_id, request_id),
        )
        return None if value is None else str(value)

    async def numbers(self, account_id: str, request_ids: list[str]) -> dict[str, CallNumbers]:
        """request_id -> its agent, customer and dialled numbers (this account's calls)."""
        if not request_ids:
            return {}
        marks = ",".join("?" * len(request_ids))
        rows = await self._db.fetchall(
            "SELECT request_id, agent_number, customer_number, dialed_number FROM calls"
            f" WHERE account_id = ? AND request_id IN ({marks})",
            (account_id, *request_ids),
        )
        return {row["request_id"]: CallNumbers.from_row(row) for row in rows}

    async def outcome(self, request_id: str) -> CallOutcome | None:
        """None when no row exists -- which proves no Originate was ever sent for it (the
        row is written first)."""
        row = await self._db.fetchone(
            "SELECT state, dial_status FROM calls WHERE request_id = ?", (request_id,)
        )
        return None if row is None else CallOutcome(CallState(row["state"]), row["dial_status"])

    async def awaiting_cdr(self, request_ids: Sequence[str]) -> dict[str, CallAwaitingCdr]:
        """Those of these calls that exist and have no CDR summary yet, by request_id."""
        found: dict[str, CallAwaitingCdr] = {}
        for start in range(0, len(request_ids), _ID_CHUNK):
            chunk = request_ids[start : start + _ID_CHUNK]
            rows = await self._db.fetchall(
                "SELECT request_id, channel_id, destination_context, dialed_number, created_at"
                " FROM calls"
                f" WHERE request_id IN ({','.join('?' * len(chunk))}) AND cdr_at IS NULL",
                chunk,
            )
            for row in rows:
                found[row["request_id"]] = CallAwaitingCdr(
                    row["channel_id"],
                    row["destination_context"],
                    row["dialed_number"],
                    row["created_at"],
                )
        return found

    async def placed_without_cdr(self, pbx_id: str) -> list[str]:
        """The calls placed on this PBX (outbound: an Originate was or may have been sent)
        that have no CDR yet, by request_id: what a node taking the PBX over inherits
        (index ``calls_awaiting_cdr``)."""
        rows = await self._db.fetchall(
            "SELECT request_id FROM calls WHERE pbx_id = ? AND cdr_at IS NULL"
            f" AND state IN ({','.join('?' * len(_PLACED))}) AND kind != ?",
            (pbx_id, *_PLACED, CallKind.INBOUND.value),
        )
        return [row["request_id"] for row in rows]

    @staticmethod
    async def kinds(conn: Transaction, request_ids: Sequence[str]) -> dict[str, CallKind]:
        """request_id -> kind, for those of these ids that are calls, read in the CDR
        ingest's transaction."""
        marks = ",".join("?" * len(request_ids))
        rows = await conn.fetchall(
            f"SELECT request_id, kind FROM calls WHERE request_id IN ({marks})", request_ids
        )
        return {row["request_id"]: CallKind(row["kind"]) for row in rows}

    async def kind_and_account(self, request_id: str) -> tuple[CallKind, str] | None:
        row = await self._db.fetchone(
            "SELECT kind, account_id FROM calls WHERE request_id = ?", (request_id,)
        )
        return None if row is None else (CallKind(row["kind"]), row["account_id"])


async def _cdr_state(
    conn: Transaction, request_ids: Sequence[str]
) -> dict[str, tuple[str, str | None, str | None]]:
    """(account_id, call_date, cdr_at) of the stored calls among ``request_ids``."""
    state: dict[str, tuple[str, str | None, str | None]] = {}
    unique = list(dict.fromkeys(request_ids))
    for first in range(0, len(unique), _ID_CHUNK):
        chunk = unique[first : first + _ID_CHUNK]
        for row in await conn.fetchall(
            "SELECT request_id, account_id, call_date, cdr_at FROM calls"
            f" WHERE request_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            state[row[0]] = (row[1], row[2], row[3])
    return state


async def _count_cdr_hours(conn: Transaction, deltas: dict[tuple[str, str], int]) -> None:
    """Add each (account_id, hour)'s change of CDR count; drop the keys left at 0."""
    changed = [(*key, n) for key, n in deltas.items() if n]
    if not changed:
        return
    await conn.executemany(_ADD_CDR_HOURS, changed)
    emptied = [key for key, n in deltas.items() if n < 0]
    if emptied:
        await conn.executemany(_DROP_EMPTY_CDR_HOURS, emptied)
