"""Against the simulated Asterisk: a live click-to-call is counted while up, not after."""

from __future__ import annotations

from typing import Any

from tests.harness import Daemon
from tests.integration.calls.test_click2call import SEED_BODY

ECOUNTERS = "/api/v2/overallCount/Ecounters"
# Both numbers end in 9: the simulated endpoints answer and stay up (60 s, time-scaled).
LONG_CALL = {**SEED_BODY, "agent_number": "919979270019", "destination_number": "918000680029"}


async def message(daemon: Daemon) -> dict[str, Any]:
    body = {"userId": "account_1", "token": daemon.accounts["account_1"]}
    status, reply = await daemon.post(ECOUNTERS, body, account=None)
    assert status == 200
    return reply["message"]  # type: ignore[no-any-return]


async def test_a_live_click2call_is_counted_only_while_up(daemon: Daemon) -> None:
    status, _ = await daemon.post("/api/click2call", LONG_CALL)
    assert status == 200

    async def live() -> dict[str, Any] | None:
        got = await message(daemon)
        return got if got["LCT"] else None

    during = await daemon.wait_for(live)
    assert during["LCT"] == {"OBD": 1}
    assert (during["TC"], during["CT"], during["CST"]) == (1, {"CTC": 1}, {"1": 1})  # pending

    async def over() -> dict[str, Any] | None:
        got = await message(daemon)
        return got if not got["LCT"] and got["CNC"] else None

    after = await daemon.wait_for(over)
    assert (after["LCT"], after["RC"], after["TC"], after["CNC"], after["MC"]) == ({}, 0, 1, 1, 0)
    _, other = await daemon.post(
        ECOUNTERS, {"userId": "account_2", "token": daemon.accounts["account_2"]}, account=None
    )
    assert other["message"]["TC"] == 0
