"""Inbound calls: the dialplan's FastAGI hook routes a DID to an account's queue."""

from __future__ import annotations

from typing import Any

from cpaas_daemon import keys
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon

DID, CALLER = "5550100", "0612345678"


async def inbound_cdrs(daemon: Daemon, account: str = "account_1") -> list[dict[str, Any]]:
    status, body = await daemon.post(
        "/api/get_cdr_by_date",
        {"start_call_date": "2000-01-01", "end_call_date": "2100-01-01"},
        account,
    )
    return body["response"]["result"] if status == 200 else []


async def test_did_call_is_the_accounts_inbound_call(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    await daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
    # The agent talks 200 simulated seconds (4 s here), long enough to be seen live.
    await sim.inbound_call(DID, CALLER, variables={"__AGENT_WAIT": "200"})

    async def live_inbound() -> bool:
        _, body = await daemon.get("/api/get_live_call_statistics")
        return body["response"]["result"]["live_calls_inbound"] == 1

    await daemon.wait_for(live_inbound)
    _, other = await daemon.get("/api/get_live_call_statistics", account="account_2")
    assert other["response"]["result"]["live_calls_inbound"] == 0

    [cdr] = await daemon.wait_for(lambda: inbound_cdrs(daemon), within=15)
    assert cdr["call_direction"] == "inbound"
    assert (cdr["dialed_number"], cdr["customer_number"]) == (DID, CALLER)
    assert cdr["call_status"] == "ANSWERED"
    assert cdr["destination_context"] == "cpaas-inbound"
    assert await inbound_cdrs(daemon, "account_2") == []


async def test_unknown_did_is_queued_by_the_dialplan_and_seen_by_no_account(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    await daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
    await sim.inbound_call("5550999", CALLER)
    await sim.wait_idle()
    assert await inbound_cdrs(daemon) == []
    assert await daemon.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM calls") == 0


async def test_the_daemon_points_the_dialplan_at_its_agi_port_after_every_login(
    daemon: Daemon, sim: SimulatedAsterisk, agi_port: int
) -> None:
    """No one edits the AGI port into the dialplan: the daemon sets CPAAS_AGI at login,
    and again after Asterisk restarted and forgot it."""
    expected = f"agi://127.0.0.1:{agi_port}"

    async def announced() -> bool:
        return sim.core.dialplan.globals.get("CPAAS_AGI") == expected

    await daemon.wait_for(announced)
    await sim.restart()  # a fresh core: the dialplan's globals only
    await daemon.wait_for(announced)
