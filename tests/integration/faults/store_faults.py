"""What the store fault tests share, whichever store fails (SQLite full or locked,
PostgreSQL stopped): the request they make, the dials they count, the 503 they expect."""

from __future__ import annotations

from typing import Any

from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.integration.faults import schema

CLICK2CALL = {
    "agent_number": "919979270010",
    "caller_id": "15168148111",
    "destination_number": "918000680020",
}
CPAAS_ERROR = next(op for _, _, op in schema.operations() if op["operationId"] == "click2call")[
    "responses"
]["503"]["content"]["application/json"]["schema"]


def originates(sim: SimulatedAsterisk) -> list[dict[str, Any]]:
    return [a for a in sim.actions if str(a.get("Action", "")).lower() == "originate"]


def assert_503_in_dialect(status: int, body: object) -> None:
    assert status == 503, body
    assert schema.errors(CPAAS_ERROR, body) == []
