"""PostgreSQL stopped and started again under a running daemon (the store's counterpart
of test_storage.py's full and locked SQLite file): what the client is told while it is
down, and that nothing is lost or done twice once it is back.

The rig's server is stopped the way ``systemctl restart postgresql`` does it (a fast
shutdown: every connection cut, committed data kept) and started on the same port.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.calls.model import request_id_from_uniqueid
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon
from tests.integration.campaigns.helpers import (
    campaign_body,
    create_campaign,
    new_list,
    number,
    upload_prompt,
    wait_completed,
)
from tests.integration.campaigns.helpers import (
    originates as dials_per_number,
)
from tests.integration.faults.store_faults import CLICK2CALL, assert_503_in_dialect, originates
from tests.store_rig import ON_POSTGRES, postgres

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL store only")


async def store_refused(daemon: Daemon) -> bool:
    """The API says the store is gone (a read: any pooled connection reconnects)."""
    status, body = await daemon.get("/api/get_campaign_details")
    return status == 503 and body["response"]["message"].startswith("storage unavailable")


async def test_click2call_while_postgresql_is_down_is_a_503_dials_nothing_then_recovers(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """Lost: nothing (the client is told 503 and no call exists). Duplicated: nothing
    (one Originate, for the request made once PostgreSQL is back)."""
    async with postgres().stopped():
        status, body = await daemon.post("/api/click2call", CLICK2CALL)
        assert_503_in_dialect(status, body)
        assert originates(sim) == []

    status, body = await daemon.post("/api/click2call", CLICK2CALL)
    assert status == 200, body
    [action] = originates(sim)
    assert request_id_from_uniqueid(action["ChannelId"]) == body["response"]["request_id"]
    [cdr] = await daemon.cdr(body["response"]["request_id"])
    assert cdr["call_status"] == "ANSWERED"


async def test_postgresql_restarted_mid_campaign_every_contact_dialled_and_recorded_once(
    daemon: Daemon, sim: SimulatedAsterisk, tmp_path: Path
) -> None:
    """Issue 14: the server goes away while a campaign dials (calls in flight, CDRs
    arriving, the dialer claiming its next contacts) and comes back. The campaign
    finishes; every contact is dialled exactly once and has exactly one CDR."""
    numbers = [number(i) for i in range(60)]  # 10 a second at 600/min: ~6 s of dialling
    upload_prompt(tmp_path / "uploads")
    list_id = await new_list(daemon, numbers)
    campaign_id = await create_campaign(daemon, campaign_body(list_id))

    async def a_third_dialled() -> bool:
        return sum(dials_per_number(sim.actions).values()) >= len(numbers) // 3

    await daemon.wait_for(a_third_dialled)
    async with postgres().stopped():
        await daemon.wait_for(lambda: store_refused(daemon))
        during = sum(dials_per_number(sim.actions).values())
    assert during < len(numbers), "the campaign ended before PostgreSQL stopped"

    await wait_completed(daemon, campaign_id, within=60)
    assert dials_per_number(sim.actions) == Counter(dict.fromkeys(numbers, 1))
    status, body = await daemon.post("/api/get_cdr_by_campaign_id", {"campaign_id": campaign_id})
    assert status == 200, body
    rows = body["response"]["result"]
    assert Counter(row["dialed_number"] for row in rows) == Counter(dict.fromkeys(numbers, 1))
    assert len({row["request_id"] for row in rows}) == len(numbers)
    uniqueids = [row["uniqueid"] for row in rows]
    assert all(uniqueids)  # each row's CDR came from Asterisk
    legs = await daemon.app[keys.DOMAINS].core.db.fetchall(
        "SELECT uniqueid, COUNT(*) FROM cdr_legs WHERE uniqueid IN ("
        + ",".join("?" * len(uniqueids))
        + ") GROUP BY uniqueid",
        uniqueids,
    )
    assert {row[0]: row[1] for row in legs} == dict.fromkeys(uniqueids, 1)
