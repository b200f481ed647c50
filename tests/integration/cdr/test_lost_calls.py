"""Calls another node placed on a PBX and whose end nobody heard (the node died; AMI's
events of it went with it, and Asterisk writes no CDR for an unanswered call) end with
exactly one CDR once the node that takes the PBX over proves them unanswered:
``NO ANSWER`` (cdr/lost_calls.py, docs/scaling.md). One that may have been answered gets
none invented. On both stores (TEST_STORE=postgresql)."""

from __future__ import annotations

import csv
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.calls.model import CallKind, CallRequest, CallState
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.cdr.csv_backfill import CSV_COLUMNS
from cpaas_daemon.cluster.leases import LeaseLost
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.store.db import Database
from cpaas_daemon.webhooks.repository import WebhookRepository
from tests.harness import ACCOUNTS, Daemon, running_daemon
from tests.integration.calls.test_call_control import LONG_CALL
from tests.integration.webhooks.conftest import LOOPBACK
from tests.integration.webhooks.helpers import has
from tests.integration.webhooks.receiver import Receiver, running_receiver
from tests.store_rig import opened_store

HOOK = "/lost"
# The bound after the login: originate timeout (1 s, the least allowed) + fallback_after.
QUICK = {"dial": {"originate_timeout_ms": 1000}, "cdr": {"fallback_after": 0.2}}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
def up_for_an_hour(sim: SimulatedAsterisk) -> SimulatedAsterisk:
    """The PBX has been up long before the calls were placed (FullyBooted ``Uptime``)."""
    sim.core.started -= 3600
    return sim


async def placed_elsewhere(db: Database, number: str) -> CallRequest:
    """A click2call's row as the node that placed it wrote it before its Originate; that
    node is gone, and nothing of the call is left on the PBX."""
    accounts = AccountRepository(db)
    if "account_1" not in await accounts.list_ids():
        await accounts.add("account_1", ACCOUNTS["account_1"])
    call = CallRequest(
        request_id=secrets.token_hex(5),
        account_id="account_1",
        kind=CallKind.C2C,
        channel=f"Local/{number}@sim-endpoints",
        context="cpaas-c2c",
        exten="s",
        caller_id="15168148111",
        agent_number=number,
        customer_number="918000680020",
        dialed_number=number,
    )
    await CallRepository(db).insert(call, CallState.ORIGINATED)
    return call


def recorded_answered(master_csv: Path, call: CallRequest) -> None:
    """Asterisk's Master.csv record of that call, answered, written while no node listened."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(
        Destination=call.dialed_number,
        LastApplication="Dial",
        StartTime="2026-12-05 10:00:00",
        AnswerTime="2026-12-05 10:00:05",
        EndTime="2026-12-05 10:01:05",
        Duration="65",
        BillableSeconds="60",
        Disposition="ANSWERED",
        AMAFlags="DOCUMENTATION",
        UniqueID=call.channel_id,
        UserField=call.request_id,
    )
    with master_csv.open("a", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerow(row.values())


async def legs_of(daemon: Daemon, request_id: str) -> int:
    db = daemon.app[keys.DOMAINS].core.db
    return int(
        await db.fetchval("SELECT COUNT(*) FROM cdr_legs WHERE request_id = ?", (request_id,))
    )


async def test_the_new_owner_writes_one_no_answer_cdr_for_a_lost_unanswered_call(
    tmp_path: Path, up_for_an_hour: SimulatedAsterisk, agi_port: int, receiver: Receiver
) -> None:
    async with opened_store(tmp_path / "cpaas.sqlite3") as db:
        lost = await placed_elsewhere(db, "919900000011")
        answered = await placed_elsewhere(db, "919900000012")
        await WebhookRepository(db).add("account_1", receiver.url(HOOK), ["call.completed"])
    recorded_answered(tmp_path / "Master.csv", answered)

    config = daemon_config(
        tmp_path, up_for_an_hour.port, agi_port, **QUICK, webhooks={**LOOPBACK, "timeout": 1.0}
    )
    async with running_daemon(config) as daemon:
        [cdr] = await daemon.cdr(lost.request_id)
        assert (cdr["call_status"], cdr["dial_status"]) == ("NO ANSWER", "NOANSWER")
        assert (cdr["billsec"], cdr["uniqueid"]) == (0, lost.channel_id)
        [cdr] = await daemon.cdr(answered.request_id)  # Master.csv's, untouched
        assert (cdr["call_status"], cdr["dial_status"]) == ("ANSWERED", "ANSWER")
        assert [await legs_of(daemon, c.request_id) for c in (lost, answered)] == [1, 1]
        _, stats = await daemon.get("/api/get_cdr_statistics")
        result = stats["response"]["result"]
        assert (result["total_calls"], result["answer_calls"], result["noanswer_calls"]) == (
            [2],
            [1],
            [1],
        )
        await receiver.wait(lambda: has(receiver, HOOK, lost.request_id, "call.completed"))

        # A second look (another login, another node) writes nothing more; a node whose
        # lease was taken over writes nothing at all.
        pbx = daemon.app[keys.DOMAINS].pbx
        csv_reader = pbx.pool.get(DEFAULT_PBX_ID).cdr_csv
        assert await pbx.lost.check(DEFAULT_PBX_ID, csv_reader, [lost.request_id]) == []
        assert await legs_of(daemon, lost.request_id) == 1


async def test_a_call_live_on_the_pbx_is_left_to_its_own_cdr(
    up_for_an_hour: SimulatedAsterisk, tmp_path: Path, agi_port: int
) -> None:
    config = daemon_config(tmp_path, up_for_an_hour.port, agi_port, **QUICK)
    async with running_daemon(config) as daemon:
        _, reply = await daemon.post("/api/click2call", LONG_CALL)
        request_id = reply["response"]["request_id"]
        tracker = daemon.app[keys.DOMAINS].core.tracker

        async def live() -> bool:
            return request_id in tracker.originated_live_on(DEFAULT_PBX_ID)

        await daemon.wait_for(live)
        pbx = daemon.app[keys.DOMAINS].pbx
        csv_reader = pbx.pool.get(DEFAULT_PBX_ID).cdr_csv
        assert await pbx.lost.check(DEFAULT_PBX_ID, csv_reader, [request_id]) == []
        assert await legs_of(daemon, request_id) == 0  # AMI will tell how it ends


async def nothing_invented(daemon: Daemon, call: CallRequest) -> None:
    """The call may have been answered: a check finalizes nothing, it has no CDR."""
    pbx = daemon.app[keys.DOMAINS].pbx
    csv_reader = pbx.pool.get(DEFAULT_PBX_ID).cdr_csv
    assert await pbx.lost.check(DEFAULT_PBX_ID, csv_reader, [call.request_id]) == []
    status, body = await daemon.post("/api/get_cdr_by_request_id", {"request_id": call.request_id})
    assert (status, body["response"]["message"]) == (404, "cdr not found")
    assert await legs_of(daemon, call.request_id) == 0


async def test_without_master_csv_no_cdr_is_invented(
    up_for_an_hour: SimulatedAsterisk, tmp_path: Path, agi_port: int
) -> None:
    """No record to look in: the call may have been answered and written nowhere."""
    async with opened_store(tmp_path / "cpaas.sqlite3") as db:
        call = await placed_elsewhere(db, "919900000021")
    config = daemon_config(tmp_path, up_for_an_hour.port, agi_port, **QUICK)
    config = config.model_copy(update={"cdr": config.cdr.model_copy(update={"csv_path": None})})
    async with running_daemon(config) as daemon:
        assert daemon.app[keys.DOMAINS].pbx.pool.get(DEFAULT_PBX_ID).cdr_csv is None
        await nothing_invented(daemon, call)


async def test_after_a_pbx_restart_no_cdr_is_invented(
    sim: SimulatedAsterisk, tmp_path: Path, agi_port: int
) -> None:
    """The PBX started after the call was placed: a restart may have cut it answered,
    and a cut call has no record in Master.csv."""
    async with opened_store(tmp_path / "cpaas.sqlite3") as db:
        call = await placed_elsewhere(db, "919900000022")
    sim.core.started += 60  # booted after the call was placed
    config = daemon_config(tmp_path, sim.port, agi_port, **QUICK)
    async with running_daemon(config) as daemon:
        await nothing_invented(daemon, call)


async def test_a_node_that_lost_the_pbx_lease_writes_no_cdr(
    up_for_an_hour: SimulatedAsterisk, tmp_path: Path, agi_port: int
) -> None:
    async with opened_store(tmp_path / "cpaas.sqlite3") as db:
        call = await placed_elsewhere(db, "919900000031")
    (tmp_path / "Master.csv").touch()  # the PBX has written its records there
    config = daemon_config(
        tmp_path, up_for_an_hour.port, agi_port, dial={"originate_timeout_ms": 300000}
    )
    async with running_daemon(config) as daemon:
        domains = daemon.app[keys.DOMAINS]
        # Another node takes the PBX (its lease expired, say): a newer token.
        held = domains.pbx.ownership.lease(DEFAULT_PBX_ID)
        assert held is not None
        await domains.core.db.execute(
            "UPDATE leases SET holder = 'node-b', token = token + 1 WHERE kind = 'pbx'"
        )
        csv_reader = domains.pbx.pool.get(DEFAULT_PBX_ID).cdr_csv
        with pytest.raises(LeaseLost):
            await domains.pbx.lost.check(DEFAULT_PBX_ID, csv_reader, [call.request_id])
        assert await legs_of(daemon, call.request_id) == 0
