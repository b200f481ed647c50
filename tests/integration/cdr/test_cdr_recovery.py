"""CDRs are never lost or doubled across daemon restarts: Master.csv backs up the AMI."""

from __future__ import annotations

from pathlib import Path

from cpaas_daemon import keys
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, running_daemon, running_sim
from tests.integration.calls.test_click2call import SEED_BODY


def csv_lines(tmp_path: Path) -> int:
    return len((tmp_path / "Master.csv").read_text().splitlines())


async def test_a_leg_seen_on_ami_and_in_master_csv_is_stored_once(
    daemon: Daemon, sim: SimulatedAsterisk, tmp_path: Path
) -> None:
    _, reply = await daemon.post("/api/click2call", SEED_BODY)
    request_id = reply["response"]["request_id"]
    await daemon.cdr(request_id)
    await sim.wait_idle()
    await daemon.app[keys.DOMAINS].pbx.pool.get(DEFAULT_PBX_ID).cdr_csv.poll()
    stored = await daemon.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM cdr_legs")
    assert stored == csv_lines(tmp_path) >= 2
    [cdr] = await daemon.cdr(request_id)
    assert cdr["call_status"] == "ANSWERED"


async def test_cdr_written_while_the_daemon_was_down_is_recovered(
    tmp_path: Path, agi_port: int
) -> None:
    # A slower clock: the call must outlive the first daemon.
    async with running_sim(tmp_path, agi_port, time_scale=0.3) as sim:
        config = daemon_config(tmp_path, sim.port, agi_port)
        async with running_daemon(config) as first:
            status, reply = await first.post("/api/click2call", SEED_BODY)
            assert status == 200
            request_id = reply["response"]["request_id"]
        # The daemon is gone; the call goes on and ends; its Cdr events reach no one.
        await sim.wait_idle()
        async with running_daemon(config) as second:
            [cdr] = await second.cdr(request_id)
            assert (cdr["call_status"], cdr["dial_status"]) == ("ANSWERED", "ANSWER")
            legs = await second.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM cdr_legs")
            assert legs == csv_lines(tmp_path)
