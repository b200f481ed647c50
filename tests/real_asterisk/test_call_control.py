"""modify_call and recordings against a real Asterisk: what the PBX did, seen on its AMI,
and what a CRM reads back (CDRs, files, counters)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from cpaas_daemon import keys
from cpaas_daemon.calls.model import request_id_from_uniqueid
from tests.harness import Daemon
from tests.real_asterisk.conftest import REAL_ASTERISK
from tests.real_asterisk.rig import AmiWatch, AsteriskRig

pytestmark = REAL_ASTERISK

AGENT, CUSTOMER = "919979270019", "918000680029"  # both answer and stay up


@pytest_asyncio.fixture(loop_scope="session")
async def watch(asterisk: AsteriskRig) -> AsyncIterator[AmiWatch]:
    async with AmiWatch(asterisk.ami_port) as watching:
        yield watching


async def click2call(daemon: Daemon, **fields: str) -> str:
    body = {"agent_number": AGENT, "destination_number": CUSTOMER, "caller_id": "15168148111"}
    status, reply = await daemon.post("/api/click2call", body | fields)
    assert status == 200, reply
    return str(reply["response"]["request_id"])


async def bridged(watch: AmiWatch, request_id: str) -> tuple[str, str]:
    """Once agent and customer talk: (agent channel, customer channel) as Asterisk names
    them -- the agent's is the originated one, the customer's the one it dialled."""
    end = await watch.wait(
        lambda e: request_id_from_uniqueid(e.get("Uniqueid", "")) == request_id,
        Event="DialEnd",
        DialStatus="ANSWER",
    )
    # DialEnd comes before the bridge forms; a transfer before it is "Transfer invalid".
    await watch.wait(Event="BridgeEnter", Channel=end["Channel"])
    await watch.wait(Event="BridgeEnter", Channel=end["DestChannel"])
    return end["Channel"], end["DestChannel"]


async def modify(daemon: Daemon, **body: str) -> tuple[int, Any]:
    return await daemon.post("/api/modify_call", body)


async def test_hangup_ends_the_call_with_its_cdr(real_daemon: Daemon, watch: AmiWatch) -> None:
    request_id = await click2call(real_daemon)
    agent, _ = await bridged(watch, request_id)
    status, body = await modify(real_daemon, channel=agent, modify_type="2")
    assert (status, body["response"]["message"]) == (200, "call hangup successfully")
    await watch.wait(Event="Hangup", Channel=agent)
    [cdr] = await real_daemon.cdr(request_id)
    assert (cdr["call_status"], cdr["dial_status"]) == ("ANSWERED", "ANSWER")


async def test_blind_transfer_hands_the_customer_to_the_target(
    real_daemon: Daemon, watch: AmiWatch
) -> None:
    request_id = await click2call(real_daemon)
    agent, customer = await bridged(watch, request_id)
    # Named the way a CRM without PBX access can: the request and the leg.
    status, body = await modify(
        real_daemon, request_id=request_id, leg="agent", modify_type="0", transfer_to="102"
    )
    assert (status, body["response"]["message"]) == (200, "blind transferred successfully")
    transfer = await watch.wait(Event="BlindTransfer", TransfererChannel=agent)
    assert (transfer["Result"], transfer["TransfereeChannel"]) == ("Success", customer)
    # The customer's leg dials 102 by the extension template the daemon announced.
    await watch.wait(
        lambda e: e.get("DestChannel", "").startswith("Local/102@sim-endpoints-"),
        Event="DialBegin",
        Channel=customer,
    )
    await real_daemon.cdr(request_id)

    async def counted() -> bool:
        body = {"userId": "account_1", "token": real_daemon.accounts["account_1"], "ssid": "s"}
        _, reply = await real_daemon.post("/api/v2/overallCount/Ecounters", body, account=None)
        return bool(reply["message"]["TRSC"] == 1)

    await real_daemon.wait_for(counted, within=20)


async def test_attended_transfer_consults_then_completes(
    real_daemon: Daemon, watch: AmiWatch
) -> None:
    request_id = await click2call(real_daemon)
    agent, customer = await bridged(watch, request_id)
    status, body = await modify(real_daemon, channel=agent, modify_type="1", transfer_to="109")
    assert (status, body["response"]["message"]) == (200, "attended transfer started successfully")
    # The agent consults 109 (the customer holds); the AMI link stays up throughout.
    await watch.wait(
        lambda e: e.get("DestChannel", "").startswith("Local/109@sim-endpoints-"),
        Event="DialEnd",
        DialStatus="ANSWER",
    )
    assert real_daemon.app[keys.DOMAINS].pbx.pool.connected
    # The agent hangs up: the customer is now with 109.
    status, _ = await modify(real_daemon, channel=agent, modify_type="2")
    assert status == 200
    done = await watch.wait(Event="AttendedTransfer")
    assert done["Result"] == "Success"
    assert customer in (
        done.get("OrigTransfererChannel"),
        done.get("TransfereeChannel"),
        *[done.get(k) for k in done if k.endswith("Channel")],
    )


@pytest.mark.parametrize(
    ("option", "files"),
    [("both", ["{id}.wav"]), ("agent", ["{id}-agent.wav"]), ("customer", ["{id}-customer.wav"])],
)
async def test_recording_options_write_the_file_the_cdr_names(
    real_daemon: Daemon, watch: AmiWatch, option: str, files: list[str]
) -> None:
    request_id = await click2call(
        real_daemon, destination_number="918000680020", recording_option=option
    )
    [cdr] = await real_daemon.cdr(request_id)
    directory = real_daemon.app[keys.DOMAINS].core.config.dial.recordings_dir
    expected = [name.format(id=request_id) for name in files]
    assert cdr["recording_name"] == expected[0]
    assert sorted(p.name for p in directory.glob(f"{request_id}*")) == expected
    size = os.path.getsize(directory / expected[0])  # noqa: ASYNC240
    assert size > 44  # more than a WAV header
    # The CRM fetches it over HTTP; another account cannot.
    async with real_daemon.session.get(
        f"{real_daemon.url}/api/recording/{request_id}", headers=real_daemon.headers()
    ) as response:
        assert (response.status, response.content_type) == (200, "audio/wav")
        assert len(await response.read()) == size
    async with real_daemon.session.get(
        f"{real_daemon.url}/api/recording/{request_id}", headers=real_daemon.headers("account_2")
    ) as response:
        assert response.status == 404


async def test_recording_started_on_a_live_call(real_daemon: Daemon, watch: AmiWatch) -> None:
    request_id = await click2call(real_daemon, destination_number="918000680020")
    _, customer = await bridged(watch, request_id)
    status, body = await modify(real_daemon, channel=customer, modify_type="3")
    assert (status, body["response"]["message"]) == (200, "call recording started successfully")
    [cdr] = await real_daemon.cdr(request_id)
    recording: Path = (
        real_daemon.app[keys.DOMAINS].core.config.dial.recordings_dir / cdr["recording_name"]
    )
    await watch.wait(Event="Hangup", Channel=customer)
    assert os.path.getsize(recording) > 44  # noqa: ASYNC240
