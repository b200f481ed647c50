"""What a campaign attempt does with each placement outcome (calls/placement.py)."""

from __future__ import annotations

from typing import Any

import pytest

from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.placement import NotSent, PlacementFailed, Refused, Uncertain
from cpaas_daemon.campaigns.attempts import AttemptPlacer
from cpaas_daemon.campaigns.inflight import InFlight


class _Targets:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def not_sent(self, request_id: str) -> None:
        self.calls.append(("not_sent", request_id))

    async def finish_attempt(self, request_id: str, outcome: str, _retry: Any) -> bool:
        self.calls.append((outcome, request_id))
        return True


class _Originator:
    def __init__(self, outcome: PlacementFailed) -> None:
        self.outcome = outcome

    async def place(self, _call: CallRequest, also: object = None) -> None:
        raise self.outcome


@pytest.mark.parametrize(
    ("outcome", "recorded", "in_flight"),
    [
        (
            Refused("No such channel", "00000000a1"),
            [("NOT_DIALED", "00000000a1")],
            0,
        ),  # nothing rang
        (
            NotSent("not connected", "00000000a1"),
            [("not_sent", "00000000a1")],
            0,
        ),  # undone, dialled later
        (Uncertain("link lost", "00000000a1"), [], 1),  # may ring: the CDR or the sweep decides
    ],
)
async def test_each_outcome_has_its_own_next_step(
    outcome: PlacementFailed, recorded: list[tuple[str, str]], in_flight: int
) -> None:
    targets, inflight = _Targets(), InFlight()
    placer = AttemptPlacer(targets, _Originator(outcome), None, inflight)  # type: ignore[arg-type]
    call = CallRequest(
        request_id="00000000a1", account_id="acct", kind=CallKind.CAMPAIGN, channel="PJSIP/1",
        context="cpaas-campaign", exten="s", caller_id="", variables={}, campaign_id="c1",
    )  # fmt: skip
    placer.launch(call)
    await placer.drain()
    assert targets.calls == recorded
    assert inflight.count() == in_flight
