"""The ``transcripts`` table (migration 0111): the persisted job queue and its results.

Every state change is one statement, so a crash leaves each job in a state the worker
resumes from at start-up (:meth:`TranscriptRepository.recover`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import iso, utc_now

MAX_ATTEMPTS = 3  # runs interrupted by a restart before a job is given up


class JobState(StrEnum):
    WAITING = "waiting"  # the call is not over yet
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    NONE = "none"  # nothing to transcribe

    @property
    def public(self) -> str:
        """What the API shows: pending | done | failed | none."""
        if self in (JobState.WAITING, JobState.QUEUED, JobState.RUNNING):
            return "pending"
        return self.value


@dataclass(frozen=True)
class Job:
    request_id: str
    recording_name: str
    dial_status: str
    attempts: int


@dataclass(frozen=True)
class CallTranscript:
    """A call's transcript as its account sees it; ``state`` None: none was asked for."""

    state: JobState | None
    text: str
    engine: str
    reason: str


class TranscriptRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def expect(self, request_id: str) -> None:
        """A call with transcript on is about to be placed: wait for its end."""
        now = iso(utc_now())
        await self._db.execute(
            "INSERT INTO transcripts (request_id, status, requested_at, updated_at)"
            " VALUES (?, 'waiting', ?, ?) ON CONFLICT DO NOTHING",
            (request_id, now, now),
        )

    async def not_placed(self, request_id: str) -> None:
        """The call was refused: ``none`` if a calls row says so, else (refused before
        it was written: a limit, a validation) the row goes, so refusals leave nothing."""
        now = iso(utc_now())
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM transcripts WHERE request_id = ?"
                " AND NOT EXISTS (SELECT 1 FROM call_records WHERE request_id = ?)",
                (request_id, request_id),
            )
            await conn.execute(
                "UPDATE transcripts SET status = 'none', reason = 'the call was not placed',"
                " updated_at = ? WHERE request_id = ?",
                (now, request_id),
            )

    async def waiting(self) -> set[str]:
        rows = await self._db.fetchall(
            "SELECT request_id FROM transcripts WHERE status = 'waiting'"
        )
        return {row["request_id"] for row in rows}

    async def queue(self, request_id: str) -> bool:
        """waiting -> queued (the call's CDR is in); False if it was not waiting."""
        changed = await self._db.execute(
            "UPDATE transcripts SET status = 'queued', updated_at = ?"
            " WHERE request_id = ? AND status = 'waiting'",
            (iso(utc_now()), request_id),
        )
        return changed > 0

    async def recover(self) -> None:
        """At start-up: runs a stop interrupted go back to the queue (given up after
        :data:`MAX_ATTEMPTS`), calls whose CDR arrived while nobody listened are queued,
        and calls that were never placed have nothing to transcribe."""
        now = iso(utc_now())
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE transcripts SET status = 'failed', updated_at = ?,"
                " reason = 'transcription was interrupted ' || attempts || ' times'"
                " WHERE status = 'running' AND attempts >= ?",
                (now, MAX_ATTEMPTS),
            )
            await conn.execute(
                "UPDATE transcripts SET status = 'queued', updated_at = ? WHERE status = 'running'",
                (now,),
            )
            await conn.execute(
                "UPDATE transcripts SET status = 'queued', updated_at = ?"
                " WHERE status = 'waiting' AND request_id IN"
                " (SELECT request_id FROM call_records WHERE cdr_at IS NOT NULL)",
                (now,),
            )
            await conn.execute(
                "UPDATE transcripts SET status = 'none', updated_at = ?,"
                " reason = 'the call was not placed' WHERE status = 'waiting'"
                " AND request_id NOT IN"
                " (SELECT request_id FROM call_records WHERE state != 'refused')",
                (now,),
            )

    async def claim(self, engine: str) -> Job | None:
        """The oldest queued job, now ``running`` (one statement: never claimed twice)."""
        async with self._db.transaction() as conn:  # the write lock: no other BEGIN open
            rows = await conn.fetchall(
                "UPDATE transcripts SET status = 'running', engine = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE request_id = (SELECT request_id FROM transcripts"
                " WHERE status = 'queued' ORDER BY updated_at LIMIT 1)"
                " RETURNING request_id, attempts",
                (engine, iso(utc_now())),
            )
        if not rows:
            return None
        call = await self._db.fetchone(
            "SELECT recording_name, dial_status FROM call_records WHERE request_id = ?",
            (rows[0]["request_id"],),
        )
        return Job(
            request_id=rows[0]["request_id"],
            recording_name=call["recording_name"] if call else "",
            dial_status=(call["dial_status"] or "") if call else "",
            attempts=rows[0]["attempts"],
        )

    async def finish(
        self,
        request_id: str,
        state: JobState,
        *,
        text: str = "",
        reason: str = "",
        audio_seconds: float | None = None,
    ) -> None:
        await self._db.execute(
            "UPDATE transcripts SET status = ?, text = ?, reason = ?, audio_seconds = ?,"
            " updated_at = ? WHERE request_id = ?",
            (state.value, text, reason, audio_seconds, iso(utc_now()), request_id),
        )

    async def of_call(self, account_id: str, request_id: str) -> CallTranscript | None:
        """The account's call's transcript (None: no such call for this account)."""
        row = await self._db.fetchone(
            "SELECT t.status, t.engine, t.text, t.reason"
            " FROM call_records c LEFT JOIN transcripts t USING (request_id)"
            " WHERE c.account_id = ? AND c.request_id = ?",
            (account_id, request_id),
        )
        if row is None:
            return None
        return CallTranscript(
            state=JobState(row["status"]) if row["status"] is not None else None,
            text=row["text"] or "",
            engine=row["engine"] or "",
            reason=row["reason"] or "",
        )
