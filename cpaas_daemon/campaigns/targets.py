"""The dialer's durable state: which contact is next, which attempts are out.

Every transition is one transaction, and an attempt row is committed BEFORE the calls
row and the Originate (see :mod:`cpaas_daemon.campaigns.dialer`), which is what lets a
restarted daemon tell "never sent" from "sent, outcome pending".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from cpaas_daemon.calls.model import DialStatus
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.campaigns.model import (
    CAMPAIGN_CONTEXT,
    DND,
    Campaign,
    StoredStatus,
    Target,
    TargetState,
)
from cpaas_daemon.store.db import Database, Row, Transaction
from cpaas_daemon.timefmt import iso, utc_now


@dataclass(frozen=True)
class OpenAttempt:
    """An attempt with no outcome yet, and what its calls row says (None: no row)."""

    request_id: str
    campaign_id: str
    account_id: str
    attempt: int
    call_state: str | None
    dial_status: str | None


_SKIP_LOCKED = " FOR UPDATE OF t SKIP LOCKED"
"""PostgreSQL only: another node's claim in progress is skipped, not waited for."""


class ClaimLost(Exception):
    """Another node took this contact first (or holds a live attempt for it): the claim's
    transaction was rolled back and nothing may be dialled."""

    def __init__(self, target: Target) -> None:
        super().__init__(f"campaign {target.campaign_id} contact {target.contact_id}")
        self.contact_id = target.contact_id


async def _take(conn: Transaction, target: Target, sql: str, params: tuple[object, ...]) -> None:
    """One write of a claim, which must change exactly one row or the claim is lost."""
    if await conn.execute(sql, params) != 1:
        raise ClaimLost(target)


class TargetStore:
    """The ``campaign_targets`` table's one writer (tests/unit/test_table_owners.py)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def enrol(conn: Transaction, campaign_id: str, list_id: str) -> None:
        """Every contact of the list becomes a pending target, in the transaction that
        creates the campaign (a campaign never exists without its targets)."""
        await conn.execute(
            "INSERT INTO campaign_targets (campaign_id, contact_id, state)"
            " SELECT ?, contact_id, ? FROM campaign_contacts WHERE list_id = ?",
            (campaign_id, TargetState.PENDING.value, list_id),
        )

    async def claim_next(self, campaign: Campaign, now: datetime, request_id: str) -> Target | None:
        """Take the next due contact for this node, in one transaction; None: none is due.

        Due retries first (retry_time is a promise), then never-dialled contacts. Whether
        the number is on the DND list is read in the same query, at dial time, so a number
        added to the list after the campaign started is still spared.

        The claim is what makes a contact dialled once when several daemons share one
        PostgreSQL store (docs/scaling.md, "Work claimed once across nodes"): the row is
        read ``FOR UPDATE SKIP LOCKED`` (another node's claim in progress is skipped, not
        waited for) and, in the same transaction, moved ``pending -> dialing`` only if it
        is still pending, with its attempt row (``request_id``) written beside it. SQLite
        gets the same meaning from its single writer (``BEGIN IMMEDIATE``). A DND contact
        is closed with its DND record instead (``target.dnd``; nothing to dial). Only a
        campaign stored as ``running`` gives out contacts: one stopped through another
        daemon stops here too. Raises
        :class:`ClaimLost` (everything rolled back, nothing to dial) if the target changed
        under us or the unique index ``campaign_attempts_live`` refuses a second live
        attempt.
        """
        async with self._db.transaction() as conn:
            rows = await conn.fetchall(
                "SELECT t.contact_id, t.attempts, c.list_id, c.contact_number,"
                " c.contact_fields,"
                " EXISTS (SELECT 1 FROM dnd_contacts d WHERE d.dnd_list_id = ?"
                "  AND d.dnd_contact_number IN (ltrim(c.contact_number, '+'),"
                "  '+' || ltrim(c.contact_number, '+'))) AS dnd"
                " FROM campaign_targets t JOIN campaign_contacts c USING (contact_id)"
                f" WHERE t.campaign_id = ? AND t.state = '{TargetState.PENDING}'"
                " AND (t.next_at IS NULL OR t.next_at <= ?)"
                " AND EXISTS (SELECT 1 FROM campaigns m WHERE m.campaign_id = t.campaign_id"
                f"  AND m.status = '{StoredStatus.RUNNING}')"
                " ORDER BY t.next_at IS NULL, t.next_at, t.contact_id LIMIT 1"
                + (_SKIP_LOCKED if conn.dialect == "postgres" else ""),
                (campaign.dnd_list_id, campaign.campaign_id, iso(now)),
            )
            if not rows:
                return None
            row = rows[0]
            target = Target(
                campaign_id=campaign.campaign_id,
                contact_id=row["contact_id"],
                list_id=row["list_id"],
                number=row["contact_number"],
                fields=json.loads(row["contact_fields"]),
                attempts=row["attempts"],
                dnd=bool(row["dnd"]),
            )
            if target.dnd:
                await self._close_dnd(conn, campaign, target, request_id)
            else:
                await self._begin_attempt(conn, target, request_id)
        return target

    async def pending(self, campaign_id: str) -> tuple[int, str | None]:
        """(targets not done yet, earliest retry time among pending ones)."""
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS n, MIN(CASE WHEN state = '{TargetState.PENDING}' THEN next_at"
            f" END) AS at FROM campaign_targets WHERE campaign_id = ?"
            f" AND state != '{TargetState.DONE}'",
            (campaign_id,),
        )
        assert row is not None
        return row["n"], row["at"]

    @staticmethod
    async def _close_dnd(
        conn: Transaction, campaign: Campaign, target: Target, request_id: str
    ) -> None:
        """A DND contact is not dialled but gets a calls row, as in the seed's CDR example."""
        now = iso(utc_now())
        await _take(
            conn,
            target,
            f"UPDATE campaign_targets SET state = '{TargetState.DONE}', last_status = ?,"
            f" finished_at = ? WHERE campaign_id = ? AND contact_id = ?"
            f" AND state = '{TargetState.PENDING}'",
            (DND, now, campaign.campaign_id, target.contact_id),
        )
        await CallRepository.insert_dnd(
            conn,
            request_id=request_id,
            account_id=campaign.account_id,
            number=target.number,
            caller_id=campaign.caller_id,
            context=CAMPAIGN_CONTEXT,
            campaign_id=campaign.campaign_id,
            list_id=target.list_id,
            contact_id=target.contact_id,
            at=now,
        )

    @staticmethod
    async def _begin_attempt(conn: Transaction, target: Target, request_id: str) -> None:
        """Target ``dialing`` and its attempt row, committed before any calls row."""
        now = iso(utc_now())
        await _take(
            conn,
            target,
            f"UPDATE campaign_targets SET state = '{TargetState.DIALING}',"
            " attempts = attempts + 1, last_dialed_at = ?"
            f" WHERE campaign_id = ? AND contact_id = ? AND state = '{TargetState.PENDING}'",
            (now, target.campaign_id, target.contact_id),
        )
        await _take(
            conn,
            target,
            "INSERT INTO campaign_attempts"
            " (request_id, campaign_id, contact_id, attempt, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (request_id, target.campaign_id, target.contact_id, target.attempts + 1, now),
        )

    async def not_sent(self, request_id: str) -> None:
        """Nothing went out (no calls row): the contact is pending again, no attempt used."""
        async with self._db.transaction() as conn:
            rows = await conn.fetchall(
                "UPDATE campaign_attempts SET outcome = 'NOT_SENT', finished_at = ?"
                " WHERE request_id = ? AND outcome IS NULL RETURNING campaign_id, contact_id",
                (iso(utc_now()), request_id),
            )
            for row in rows:
                await conn.execute(
                    f"UPDATE campaign_targets SET state = '{TargetState.PENDING}',"
                    " attempts = attempts - 1"
                    " WHERE campaign_id = ? AND contact_id = ?",
                    (row["campaign_id"], row["contact_id"]),
                )

    async def finish_attempt(
        self, request_id: str, outcome: str, retry_at: datetime | None
    ) -> bool:
        """Close an open attempt: the contact is done, or pending again at ``retry_at``.

        Returns False if the attempt was not open (a duplicate or late report).
        """
        now = iso(utc_now())
        async with self._db.transaction() as conn:
            rows = list(
                await conn.fetchall(
                    "UPDATE campaign_attempts SET outcome = ?, finished_at = ?"
                    " WHERE request_id = ? AND outcome IS NULL RETURNING campaign_id, contact_id",
                    (outcome, now, request_id),
                )
            )
            if not rows:
                return False
            row = rows[0]
            await conn.execute(
                # answered is a 0/1 integer: PostgreSQL's OR takes booleans only.
                "UPDATE campaign_targets SET state = ?, next_at = ?, last_status = ?,"
                f" answered = CASE WHEN answered != 0 OR ? = '{DialStatus.ANSWER}'"
                " THEN 1 ELSE 0 END, finished_at = ?"
                " WHERE campaign_id = ? AND contact_id = ?",
                (
                    (TargetState.PENDING if retry_at is not None else TargetState.DONE).value,
                    iso(retry_at) if retry_at is not None else None,
                    outcome,
                    outcome,
                    None if retry_at is not None else now,
                    row["campaign_id"],
                    row["contact_id"],
                ),
            )
        return True

    async def attempt_of(self, request_id: str) -> OpenAttempt | None:
        rows = await self._open("a.request_id = ?", (request_id,))
        return rows[0] if rows else None

    async def open_attempts(self) -> list[OpenAttempt]:
        return await self._open("1 = 1", ())

    async def _open(self, where: str, params: tuple[str, ...]) -> list[OpenAttempt]:
        rows: list[Row] = await self._db.fetchall(
            "SELECT a.request_id, a.campaign_id, a.attempt, m.account_id, k.state,"
            " k.dial_status FROM campaign_attempts a"
            " JOIN campaigns m USING (campaign_id)"
            " LEFT JOIN call_records k ON k.request_id = a.request_id"
            f" WHERE a.outcome IS NULL AND {where} ORDER BY a.created_at",
            params,
        )
        return [
            OpenAttempt(
                request_id=row["request_id"],
                campaign_id=row["campaign_id"],
                account_id=row["account_id"],
                attempt=row["attempt"],
                call_state=row["state"],
                dial_status=row["dial_status"],
            )
            for row in rows
        ]
