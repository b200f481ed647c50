"""A due callback dials exactly once -- also across restarts -- and never when too late,
cancelled or moved. Real daemon over HTTP, simulated Asterisk over TCP."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from cpaas_daemon import keys
from cpaas_daemon.callbacks.recovery import NOT_PLACED
from cpaas_daemon.config import Config
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.timefmt import parse_iso, utc_now
from tests.harness import Daemon, free_port, running_daemon
from tests.integration.callbacks.helpers import (
    create,
    new_callback,
    originates_for,
    state_of,
    wait_state,
    wall_in,
)

SETTLED = ("completed", "failed")


async def created_then_stopped(config: Config) -> tuple[str, datetime]:
    """Run a daemon just long enough to create a callback due in about a second."""
    async with running_daemon(config) as first:
        request_id = await create(first, new_callback(1))
        due = parse_iso((await state_of(first, request_id))["scheduled_at_utc"])
    return request_id, due


async def sleep_past(due: datetime) -> None:
    """The one wait that is for the clock itself."""
    await asyncio.sleep((due - utc_now()).total_seconds() + 0.2)


async def test_due_callback_in_kolkata_dials_once_and_completes_from_its_cdr(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    request_id = await create(daemon, new_callback(2))
    cancelled = await create(daemon, new_callback(2))
    postponed = await create(daemon, new_callback(2))
    assert (await daemon.call("DELETE", "/api/callback", {"request_id": cancelled}))[0] == 200
    later = {"request_id": postponed, "scheduled_at": wall_in(3600)}
    assert (await daemon.call("PATCH", "/api/callback", later))[0] == 200

    done = await wait_state(daemon, request_id, *SETTLED)

    assert (done["state"], done["dial_status"], done["attempts"]) == ("completed", "ANSWER", "1")
    [action] = originates_for(sim, request_id)
    assert action["Channel"] == "Local/919979270010@sim-endpoints"
    assert action["Exten"] == "918000680020"
    assert action["CallerID"] == "15168148111"
    [cdr] = await daemon.cdr(request_id)
    assert (cdr["request_id"], cdr["dial_status"]) == (request_id, "ANSWER")
    assert originates_for(sim, cancelled) == []
    assert originates_for(sim, postponed) == []
    assert (await state_of(daemon, postponed))["state"] == "scheduled"


async def test_patch_to_an_earlier_time_dials_then(daemon: Daemon, sim: SimulatedAsterisk) -> None:
    request_id = await create(daemon, new_callback(3600, destination_number="918000680024"))
    sooner = {"request_id": request_id, "scheduled_at": wall_in(1)}
    assert (await daemon.call("PATCH", "/api/callback", sooner))[0] == 200

    done = await wait_state(daemon, request_id, *SETTLED)

    assert (done["state"], done["dial_status"]) == ("failed", "BUSY")  # ...4 is busy
    assert len(originates_for(sim, request_id)) == 1


async def test_callback_due_while_stopped_dials_once_after_restart(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int
) -> None:
    config = daemon_config(tmp_path, sim.port, agi_port)
    request_id, due = await created_then_stopped(config)
    await sleep_past(due)
    assert originates_for(sim, request_id) == []

    async with running_daemon(config) as second:
        done = await wait_state(second, request_id, *SETTLED)
        assert done["state"] == "completed"
        assert len(originates_for(sim, request_id)) == 1
        await second.cdr(request_id)


async def test_callback_overdue_beyond_grace_at_start_up_is_missed_never_dialled(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int
) -> None:
    config = daemon_config(tmp_path, sim.port, agi_port)
    request_id, due = await created_then_stopped(config)
    await sleep_past(due)

    strict = daemon_config(tmp_path, sim.port, agi_port, callbacks={"grace_seconds": 0})
    async with running_daemon(strict) as second:
        missed = await wait_state(second, request_id, "missed", *SETTLED)
    assert missed["state"] == "missed"
    assert "beyond the 0 s grace" in missed["reason"]
    assert originates_for(sim, request_id) == []


async def test_claimed_callback_is_reconciled_not_redialled_after_a_crash(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int
) -> None:
    """A crash between the claim and the calls row: nothing rang, and it is not re-dialled."""
    config = daemon_config(tmp_path, sim.port, agi_port)
    async with running_daemon(config) as first:
        request_id = await create(first, new_callback(3600))
        await first.app[keys.DOMAINS].core.db.execute(
            "UPDATE callbacks SET state='dialing', attempts=1 WHERE request_id=?", (request_id,)
        )

    async with running_daemon(config) as second:
        view = await state_of(second, request_id)
    assert (view["state"], view["reason"]) == ("failed", NOT_PLACED)
    assert originates_for(sim, request_id) == []


async def test_pbx_down_at_due_time_retries_within_grace_then_fails(tmp_path: Path) -> None:
    nobody = free_port()  # no Asterisk listening: AMI never logs in
    config = daemon_config(tmp_path, nobody, free_port(), callbacks={"grace_seconds": 1})
    async with running_daemon(config, connect=False) as daemon:
        request_id = await create(daemon, new_callback(1))
        failed = await wait_state(daemon, request_id, *SETTLED)
    assert failed["state"] == "failed"
    assert failed["reason"].startswith("PBX unavailable within the grace period")
    assert int(failed["attempts"]) >= 1
