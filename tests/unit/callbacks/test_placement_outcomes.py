"""What a callback does with each placement outcome (calls/placement.py): the outcome's
type decides, not an ``except`` order or a re-read of the calls row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pytest

from cpaas_daemon.callbacks.dialer import CallbackDialer
from cpaas_daemon.callbacks.model import Callback, CallbackSpec, CallbackState
from cpaas_daemon.calls.placement import NotSent, PlacementFailed, Refused, Uncertain
from cpaas_daemon.timefmt import utc_now


class _Repo:
    """Records the state moves the dialer asks for (each one is allowed)."""

    def __init__(self) -> None:
        self.moves: list[tuple[CallbackState, str]] = []

    async def move(
        self, request_id: str, to: CallbackState, allowed_from: Iterable[CallbackState],
        reason: str = "", **_: Any,
    ) -> bool:  # fmt: skip
        self.moves.append((to, reason))
        return True

    async def due_by(self, _moment: datetime) -> list[tuple[str, datetime]]:
        return []


class _Calls:
    def __init__(self, outcome: PlacementFailed) -> None:
        self.outcome = outcome
        self.placed = 0

    async def two_party(self, *_: Any, **__: Any) -> str:
        self.placed += 1
        raise self.outcome


def _callback() -> Callback:
    spec = CallbackSpec("0611111111", "", "0622222222", "off", "UTC", "2030-01-01 10:00:00")
    return Callback("abcdef0123", "acct", spec, utc_now(), CallbackState.DIALING, 1, None, "")


@pytest.mark.parametrize(
    ("outcome", "state", "reason"),
    [
        (NotSent("PBX is not connected", "abcdef0123"), CallbackState.SCHEDULED, "retrying"),
        (Refused("No such channel", "abcdef0123"), CallbackState.FAILED, "PBX refused"),
        (Uncertain("link lost", "abcdef0123"), CallbackState.DIALING, "awaiting its CDR"),
    ],
)
async def test_each_outcome_has_its_own_next_step(
    outcome: PlacementFailed, state: CallbackState, reason: str
) -> None:
    repo, calls = _Repo(), _Calls(outcome)
    dialer = CallbackDialer(repo, calls, grace_seconds=60)  # type: ignore[arg-type]
    await dialer._place(_callback())
    [(moved_to, why)] = repo.moves
    assert (moved_to, reason in why) == (state, True)
    assert calls.placed == 1  # never placed again here: a retry waits for a poll


async def test_not_sent_beyond_grace_fails_instead_of_retrying() -> None:
    repo = _Repo()
    dialer = CallbackDialer(repo, _Calls(NotSent("down", "abcdef0123")), grace_seconds=0)  # type: ignore[arg-type]
    late = _callback()
    late = Callback(**{**late.__dict__, "due_at": utc_now() - timedelta(seconds=5)})
    await dialer._place(late)
    assert [to for to, _ in repo.moves] == [CallbackState.FAILED]
