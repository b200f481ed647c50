"""What a callback is, and the two time rules every path shares (future-only, grace)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum

from cpaas_daemon.calls.service import TwoPartyCall
from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.store.db import Row
from cpaas_daemon.timefmt import WALL_FORMAT, parse_iso, wall_to_utc, zone


class CallbackState(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time; the only state a client may change
    DIALING = "dialing"  # claimed for dialling; the call's CDR decides what comes next
    COMPLETED = "completed"  # both parties were connected (dial_status ANSWER)
    FAILED = "failed"  # not connected: busy, no answer, PBX unavailable (see reason)
    CANCELLED = "cancelled"  # deleted by the client before it was due
    MISSED = "missed"  # the daemon could not run it within the grace period


@dataclass(frozen=True)
class CallbackSpec:
    """What the client controls: who to connect, and when (wall clock in ``time_zone``)."""

    agent_number: str
    caller_id: str
    destination_number: str
    recording_option: str  # on | off, as the seed documents for callbacks
    time_zone: str
    scheduled_at: str

    def two_party_call(self) -> TwoPartyCall:
        return TwoPartyCall(
            agent_number=self.agent_number,
            destination_number=self.destination_number,
            caller_id=self.caller_id,
            recording_option="both" if self.recording_option == "on" else "off",
        )


@dataclass(frozen=True)
class Callback:
    """One row of ``callbacks``."""

    request_id: str
    account_id: str
    spec: CallbackSpec
    due_at: datetime  # aware, UTC
    state: CallbackState
    attempts: int
    dial_status: str | None
    reason: str

    @classmethod
    def from_row(cls, row: Row) -> Callback:
        return cls(
            request_id=row["request_id"],
            account_id=row["account_id"],
            spec=CallbackSpec(
                agent_number=row["agent_number"],
                caller_id=row["caller_id"],
                destination_number=row["destination_number"],
                recording_option=row["recording_option"],
                time_zone=row["time_zone"],
                scheduled_at=row["scheduled_at"],
            ),
            due_at=parse_iso(row["due_at"]),
            state=CallbackState(row["state"]),
            attempts=row["attempts"],
            dial_status=row["dial_status"],
            reason=row["reason"],
        )


def resolve_due(spec: CallbackSpec, now: datetime) -> datetime:
    """The UTC instant of ``scheduled_at`` in ``time_zone``; it must be in the future.

    DST gaps are refused and folds take the first occurrence (see :mod:`timefmt`).
    """
    tz = zone(spec.time_zone)
    due = wall_to_utc(spec.scheduled_at, tz, "scheduled_at")
    if due <= now:
        local_now = now.astimezone(tz).strftime(WALL_FORMAT)
        raise ValidationFailed(
            f"scheduled_at {spec.scheduled_at} must be in the future"
            f" (it is now {local_now} in {spec.time_zone})"
        )
    return due


class Verdict(Enum):
    WAIT = "wait"  # not due yet (its time was moved later)
    DIAL = "dial"
    MISS = "miss"  # overdue by more than the grace period


def verdict(due: datetime, now: datetime, grace: timedelta) -> Verdict:
    """One lateness rule for start-up and run time alike."""
    if now < due:
        return Verdict.WAIT
    return Verdict.DIAL if now - due <= grace else Verdict.MISS


def state_after_call(dial_status: str) -> CallbackState:
    """A callback succeeded when both parties were connected (the Dial was answered)."""
    return CallbackState.COMPLETED if dial_status == "ANSWER" else CallbackState.FAILED
