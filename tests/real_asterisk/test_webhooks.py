"""A click-to-call's webhooks against a real Asterisk, received signed by a real local
HTTP receiver: initiated, then per party (the agent's leg, then the customer's) ringing
and answered once each, then completed with the CDR. Ringing is what Asterisk says
rings (state Ringing, as a SIP 180 makes it), never the Ring state a Local channel's
``;2`` half is born in: that shows for a busy number too. And a real recording's
transcript, pushed as call.transcript_ready after the call's call.completed."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from tests.harness import Daemon, running_daemon
from tests.integration.webhooks.conftest import LOOPBACK
from tests.integration.webhooks.helpers import click2call, events_of, has, subscribe
from tests.integration.webhooks.receiver import Receiver, running_receiver, verify
from tests.real_asterisk.conftest import REAL_ASTERISK, own_asterisk, real_config
from tests.real_asterisk.rig import AmiWatch
from tests.real_asterisk.test_transcripts import SPEAKING_PHONES

pytestmark = REAL_ASTERISK

# Phones that ring for a second before answering (as a SIP phone sends 180, then 200),
# talk for three and hang up (the agent's phone: 2 s after the customer answered);
# numbers ending in 4 are busy without ringing (a 486).
RINGING_PHONES = """
[cpaas-test-ringing-phones]
exten => _X.,1,GotoIf($["${EXTEN:-1}" = "4"]?busy)
 same => n,Ringing()
 same => n,Wait(1)
 same => n,Answer()
 same => n,Wait(3)
 same => n,Hangup()
 same => n(busy),Busy(5)
 same => n,Hangup()
"""
COMPLETED_AND_TRANSCRIPT = ["call.completed", "call.transcript_ready"]


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def ringing_pbx(asterisk_binary: Path, tmp_path: Path) -> AsyncIterator[tuple[Daemon, int]]:
    """The daemon on its own Asterisk whose phones ring, allowed to deliver to loopback;
    with the PBX's AMI port, for an AmiWatch."""
    phones = {"outbound_template": "Local/{number}@cpaas-test-ringing-phones"}
    async with (
        own_asterisk(asterisk_binary, extra_dialplan=RINGING_PHONES) as rig,
        running_daemon(real_config(rig, tmp_path, dial=phones, webhooks=LOOPBACK)) as daemon,
    ):
        yield daemon, rig.ami_port


def channels(events: list[dict[str, Any]], type_: str) -> list[str]:
    return [e["data"]["channel"] for e in events if e["type"] == type_]


def states(watch: AmiWatch, channel: str) -> set[str]:
    """The ChannelStates Asterisk reported for either half of this (Local) channel."""
    halves = {channel, channel[:-1] + "2"}
    return {
        e["ChannelState"]
        for e in watch.events
        if e.get("Channel") in halves and e.get("Event") in ("Newchannel", "Newstate")
    }


async def completed_call(daemon: Daemon, receiver: Receiver, **fields: str) -> list[Any]:
    request_id = await click2call(daemon, **fields)
    await receiver.wait(lambda: has(receiver, "/crm", request_id, "call.completed"), within=30)
    events = events_of(receiver, "/crm", request_id)
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)
    return events


async def test_click2call_events_arrive_once_per_party_in_order_with_the_cdr(
    ringing_pbx: tuple[Daemon, int], receiver: Receiver
) -> None:
    daemon, ami_port = ringing_pbx
    hook = await subscribe(daemon, receiver.url("/crm"))
    async with AmiWatch(ami_port, events="call") as watch:
        events = await completed_call(daemon, receiver)
    assert [e["type"] for e in events] == [
        "call.initiated",
        *("call.ringing", "call.answered") * 2,
        "call.completed",
    ], [(e["type"], e["data"].get("channel")) for e in events]

    agent, customer = channels(events, "call.answered")
    assert channels(events, "call.ringing") == [agent, customer]
    assert re.fullmatch(r"Local/919979270010@cpaas-test-ringing-phones-\w+;1", agent)
    assert re.fullmatch(r"Local/918000680020@cpaas-test-ringing-phones-\w+;1", customer)
    for channel in (agent, customer):  # Asterisk itself said each rang, then answered
        assert {"5", "6"} <= states(watch, channel)
    for event in events[1:-1]:
        assert "<unknown>" not in (event["data"]["caller_id"], event["data"]["connected_line"])

    completed = events[-1]
    cdr = completed["data"]["cdr"]
    assert completed["data"]["state"] == "completed"
    assert (cdr["dial_status"], cdr["call_status"]) == ("ANSWER", "ANSWERED")
    assert cdr["billsec"] >= 1
    [record] = await daemon.cdr(events[0]["request_id"])
    assert (cdr["uniqueid"], cdr["billsec"]) == (record["uniqueid"], record["billsec"])

    for got in receiver.at("/crm"):
        assert got.headers["webhook-id"] == got.event["id"]
        assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
        assert verify(hook["secret"], got.headers, got.raw)


async def test_a_busy_number_that_never_rang_gets_no_ringing_event(
    ringing_pbx: tuple[Daemon, int], receiver: Receiver
) -> None:
    daemon, ami_port = ringing_pbx
    await subscribe(daemon, receiver.url("/crm"))
    async with AmiWatch(ami_port, events="call") as watch:
        events = await completed_call(daemon, receiver, destination_number="918000680024")
    assert [e["type"] for e in events] == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.completed",
    ]
    assert events[-1]["data"]["cdr"]["dial_status"] == "BUSY"
    # Asterisk created the busy number's Local channel, its ;2 half in state Ring (4)
    busy = watch.matching(lambda e: e.get("Channel", "").startswith("Local/918000680024@"))
    assert {"4", "7"} <= {e.get("ChannelState") for e in busy}


async def test_a_real_recordings_transcript_is_pushed_after_the_call_completed(
    asterisk_binary: Path, tmp_path: Path, receiver: Receiver
) -> None:
    """A phone that speaks one of Asterisk's prompts; MixMonitor records it; the text
    reaches the CRM as call.transcript_ready, after the call's call.completed."""
    phones = {"outbound_template": "Local/{number}@cpaas-test-speaking-phones"}
    async with (
        own_asterisk(asterisk_binary, extra_dialplan=SPEAKING_PHONES) as rig,
        running_daemon(real_config(rig, tmp_path, dial=phones, webhooks=LOOPBACK)) as daemon,
    ):
        await subscribe(daemon, receiver.url("/crm"), events=COMPLETED_AND_TRANSCRIPT)
        request_id = await click2call(
            daemon, destination_number="918000680021", recording_option="on", transcript="on"
        )
        await receiver.wait(
            lambda: has(receiver, "/crm", request_id, "call.transcript_ready"), within=120
        )
    completed, ready = events_of(receiver, "/crm", request_id)
    assert [completed["type"], ready["type"]] == COMPLETED_AND_TRANSCRIPT
    assert ready["sequence"] > completed["sequence"]
    assert completed["data"]["cdr"]["recording_name"] != ""
    assert (ready["data"]["status"], ready["data"]["reason"]) == ("done", "")
    assert {"pound", "key"} <= set(ready["data"]["text"].split()), ready["data"]["text"]
