"""Building blocks for callback tests: bodies due at a given time, state polling, dials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cpaas_daemon.calls.model import request_id_from_uniqueid
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.timefmt import WALL_FORMAT, utc_now, zone
from tests.harness import Daemon

KOLKATA = "Asia/Kolkata"


def wall_in(seconds: float, time_zone: str = KOLKATA) -> str:
    """``YYYY-mm-dd hh:mm:ss`` in ``time_zone``, ``seconds`` from now (rounded up)."""
    moment = utc_now() + timedelta(seconds=seconds)
    if moment.microsecond:
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return moment.astimezone(zone(time_zone)).strftime(WALL_FORMAT)


def new_callback(seconds: float = 3600, /, **fields: str) -> dict[str, str]:
    """A valid POST body due ``seconds`` from now; numbers ending 0 answer in the sim."""
    return {
        "agent_number": "919979270010",
        "caller_id": "15168148111",
        "destination_number": "918000680020",
        "recording_option": "off",
        "time_zone": KOLKATA,
        "scheduled_at": wall_in(seconds),
        **fields,
    }


def originates_for(sim: SimulatedAsterisk, request_id: str) -> list[dict[str, Any]]:
    return [
        action
        for action in sim.actions
        if str(action.get("Action", "")).lower() == "originate"
        and request_id_from_uniqueid(str(action.get("ChannelId", ""))) == request_id
    ]


async def create(daemon: Daemon, body: dict[str, str], account: str = "account_1") -> str:
    status, reply = await daemon.post("/api/callback", body, account)
    assert status == 200, reply
    return str(reply["response"]["request_id"])


async def state_of(daemon: Daemon, request_id: str, account: str = "account_1") -> dict[str, Any]:
    status, reply = await daemon.get(f"/api/callback?request_id={request_id}", account)
    assert status == 200, reply
    return dict(reply["response"]["result"])


async def wait_state(daemon: Daemon, request_id: str, *states: str) -> dict[str, Any]:
    """Poll the API until the callback reaches one of ``states``; returns its view."""

    async def probe() -> dict[str, Any] | None:
        current = await state_of(daemon, request_id)
        return current if current["state"] in states else None

    return await daemon.wait_for(probe, within=15)
