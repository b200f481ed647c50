"""GET /api/live_calls and modify_call by request_id + leg, over HTTP and AMI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.calls.model import is_originated_leg, request_id_from_uniqueid
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon
from tests.integration.calls.test_click2call import SEED_BODY
from tests.integration.calls.test_inbound import CALLER, DID
from tests.integration.faults import schema

AGENT, CUSTOMER = "919979270019", "918000680029"  # both answer and stay up 60 s


@pytest.fixture
def sim_options() -> dict[str, Any]:
    """Ten times slower than the suite's default: a "60 s" call is up 6 s, not 1.2 s,
    long enough to be listed and acted on on a loaded machine."""
    return {"time_scale": 0.1}


CALL_ACTIONS = {"Hangup", "Redirect", "Setvar", "Atxfer", "BlindTransfer", "MixMonitor"}


def documented(path: str, method: str = "get") -> dict[str, Any]:
    """The 200 body schema docs/openapi.json promises for an operation."""
    op = schema.document()["paths"][path][method]
    return op["responses"]["200"]["content"]["application/json"]["schema"]


async def live_calls(daemon: Daemon, account: str = "account_1") -> list[dict[str, Any]]:
    """The account's live calls; every answer is also held to the OpenAPI document."""
    status, body = await daemon.get("/api/live_calls", account)
    assert (status, body["response"]["success"]) == (200, "true"), body
    assert schema.errors(documented("/api/live_calls"), body) == []
    return body["response"]["result"]


async def place(daemon: Daemon, agent: str = AGENT, customer: str = CUSTOMER) -> str:
    body = {**SEED_BODY, "agent_number": agent, "destination_number": customer}
    status, reply = await daemon.post("/api/click2call", body)
    assert status == 200, reply
    return reply["response"]["request_id"]


async def listed(daemon: Daemon, request_id: str, state: str) -> dict[str, Any]:
    """The call as /api/live_calls shows it, once it is in ``state``."""

    async def probe() -> dict[str, Any] | None:
        calls = [c for c in await live_calls(daemon) if c["request_id"] == request_id]
        return calls[0] if calls and calls[0]["state"] == state else None

    return await daemon.wait_for(probe)


def channel_actions(sim: SimulatedAsterisk) -> list[dict[str, Any]]:
    """Actions on a channel (the dialplan globals' Setvar at login names none)."""
    return [a for a in sim.actions if a["Action"] in CALL_ACTIONS and "Channel" in a]


async def test_a_connected_click2call_lists_both_parties(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    request_id = await place(daemon)
    call = await listed(daemon, request_id, "connected")
    tracker = daemon.app[keys.DOMAINS].core.tracker
    originated = next(
        c
        for c in tracker.live_channels()
        if is_originated_leg(c.uniqueid) and request_id_from_uniqueid(c.uniqueid) == request_id
    )
    assert call["agent_channel"] == originated.name
    # The destination's Local pair: the half bridged to the agent, not its inner ;2 half.
    assert call["customer_channel"].startswith(f"Local/{CUSTOMER}@sim-endpoints-")
    assert call["customer_channel"].endswith(";1")
    assert {k: v for k, v in call.items() if not k.endswith("_channel") and k != "since"} == {
        "request_id": request_id,
        "kind": "c2c",
        "call_direction": "outbound-api",
        "state": "connected",
        "agent_channel_state": "Up",
        "customer_channel_state": "Up",
        "agent_number": AGENT,
        "customer_number": CUSTOMER,
        "dialed_number": CUSTOMER,
    }
    assert call["since"].endswith(" GMT")
    assert await live_calls(daemon, "account_2") == []


async def test_ringing_and_half_answered_calls(daemon: Daemon, sim: SimulatedAsterisk) -> None:
    ringing = await place(daemon, agent="919979270016")  # the agent never answers
    call = await listed(daemon, ringing, "ringing")
    assert (call["customer_channel"], call["customer_channel_state"]) == ("", "")
    assert call["agent_channel_state"] in ("Ring", "Ringing", "Down")

    half = await place(daemon, customer="918000680026")  # the customer never answers
    call = await listed(daemon, half, "up")
    assert (call["agent_channel_state"], call["customer_channel"] != "") == ("Up", True)
    assert [c["request_id"] for c in await live_calls(daemon)] == [ringing, half]  # oldest first


async def test_an_inbound_call_starts_at_the_customer(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    await daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
    await sim.inbound_call(DID, CALLER, variables={"__AGENT_WAIT": "200"})

    async def connected() -> dict[str, Any] | None:
        calls = await live_calls(daemon)
        return calls[0] if calls and calls[0]["state"] == "connected" else None

    call = await daemon.wait_for(connected)
    assert (call["kind"], call["customer_number"], call["dialed_number"]) == (
        "inbound",
        CALLER,
        DID,
    )
    assert call["agent_channel"].startswith("Local/20")  # the queue member that answered
    customer = daemon.app[keys.DOMAINS].core.tracker.channel(call["customer_channel"])
    assert customer is not None
    assert customer.uniqueid == customer.linkedid  # the caller's channel began the call


async def test_modify_call_by_request_id_and_leg(daemon: Daemon, sim: SimulatedAsterisk) -> None:
    request_id = await place(daemon)
    call = await listed(daemon, request_id, "connected")

    status, body = await daemon.post(
        "/api/modify_call", {"request_id": request_id, "leg": "customer", "modify_type": "3"}
    )
    assert (status, body["response"]["message"]) == (200, "call recording started successfully")
    [mix] = [a for a in sim.actions if a["Action"] == "MixMonitor"]
    assert mix["Channel"] == call["customer_channel"]

    status, body = await daemon.post(
        "/api/modify_call", {"request_id": request_id, "leg": "agent", "modify_type": 2}
    )
    assert (status, body["response"]["message"]) == (200, "call hangup successfully")
    [hangup] = [a for a in sim.actions if a["Action"] == "Hangup"]
    assert hangup["Channel"] == call["agent_channel"]


async def test_another_accounts_request_id_is_not_found_and_nothing_is_sent(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    request_id = await place(daemon)
    await listed(daemon, request_id, "connected")
    for account, rid in (("account_2", request_id), ("account_1", "00000000ff")):
        status, body = await daemon.post(
            "/api/modify_call",
            {"request_id": rid, "leg": "agent", "modify_type": "2"},
            account,
        )
        assert (status, body) == (
            404,
            {
                "response": {
                    "success": "false",
                    "message": f"no live agent channel for request_id {rid}",
                }
            },
        )
    assert channel_actions(sim) == []


async def test_a_party_not_there_yet_is_not_found(daemon: Daemon, sim: SimulatedAsterisk) -> None:
    request_id = await place(daemon, agent="919979270016")  # rings; no customer leg yet
    await listed(daemon, request_id, "ringing")
    status, body = await daemon.post(
        "/api/modify_call", {"request_id": request_id, "leg": "customer", "modify_type": "2"}
    )
    assert (status, body["response"]["message"]) == (
        404,
        f"no live customer channel for request_id {request_id}",
    )
    assert channel_actions(sim) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"modify_type": "2"}, "channel (or request_id and leg) is required"),
        ({"request_id": "00000000aa", "modify_type": "2"}, "leg (agent or customer) is required"),
        ({"leg": "agent", "modify_type": "2"}, "channel (or request_id and leg) is required"),
        ({"request_id": "00000000aa", "leg": "boss", "modify_type": "2"}, "leg"),
        ({"request_id": "../../etc", "leg": "agent", "modify_type": "2"}, "request_id must be"),
        (
            {"channel": "PJSIP/1-1", "request_id": "00000000aa", "leg": "agent", "modify_type": 2},
            "either channel or request_id and leg, not both",
        ),
    ],
)
async def test_modify_call_target_validation(
    daemon: Daemon, sim: SimulatedAsterisk, body: dict[str, Any], message: str
) -> None:
    status, reply = await daemon.post("/api/modify_call", body)
    assert (status, reply["response"]["success"]) == (400, "false")
    assert message in reply["response"]["message"]
    assert channel_actions(sim) == []


async def test_live_calls_needs_the_accounts_credentials(daemon: Daemon) -> None:
    status, body = await daemon.get("/api/live_calls", account=None)
    assert (status, body["response"]["success"]) == (401, "false")


def events_of(daemon: Daemon, sim: SimulatedAsterisk) -> Callable[..., Awaitable[dict[str, str]]]:
    """A waiter for the first event the simulator emits with the given fields."""
    seen: list[dict[str, str]] = []
    sim.bus.listeners.append(lambda frame: seen.append(dict(frame)))

    async def event(**fields: str) -> dict[str, str]:
        async def probe() -> dict[str, str] | None:
            return next((e for e in seen if fields.items() <= e.items()), None)

        return await daemon.wait_for(probe)  # type: ignore[no-any-return]

    return event


async def test_attended_transfer_consults_then_completes(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """The same steps as tests/real_asterisk/test_call_control.py, on the simulator, which
    plays Atxfer as Asterisk 22 does (trace atxfer_click2call)."""
    event = events_of(daemon, sim)
    request_id = await place(daemon)
    call = await listed(daemon, request_id, "connected")
    agent, customer = call["agent_channel"], call["customer_channel"]
    status, body = await daemon.post(
        "/api/modify_call",
        {"request_id": request_id, "leg": "agent", "modify_type": "1", "transfer_to": "109"},
    )
    assert (status, body["response"]["message"]) == (200, "attended transfer started successfully")
    # The customer holds while the agent consults 109 from a consultation channel.
    assert (await event(Event="MusicOnHoldStart"))["Channel"] == customer
    consult = await event(Event="DialBegin", DestExten="109")
    assert consult["Channel"].startswith("Local/109@cpaas-transfer-")
    await event(Event="DialEnd", DestChannel=consult["DestChannel"], DialStatus="ANSWER")
    # The agent hangs up: the customer is handed to 109.
    status, _ = await daemon.post(
        "/api/modify_call", {"request_id": request_id, "leg": "agent", "modify_type": "2"}
    )
    assert status == 200
    done = await event(Event="AttendedTransfer")
    assert (done["Result"], done["OrigTransfererChannel"], done["TransfereeChannel"]) == (
        "Success",
        agent,
        customer,
    )
    await event(Event="Hangup", Channel=agent)
    # Once the consultation pair optimised away, the customer talks to 109's own leg.
    await event(Event="BridgeEnter", Channel=customer, BridgeNumChannels="2")
    await event(Event="LocalOptimizationEnd")
    assert customer in sim.channels
    assert any(name.startswith("Local/109@sim-endpoints-") for name in sim.channels)


async def test_an_attended_transfer_to_a_busy_target_hands_the_agent_back(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """No trace shows it (docs/simulator.md): the consultation fails, the agent is back
    with the customer, whose music stops, and the call goes on."""
    event = events_of(daemon, sim)
    request_id = await place(daemon)
    call = await listed(daemon, request_id, "connected")
    agent, customer = call["agent_channel"], call["customer_channel"]
    status, _ = await daemon.post(
        "/api/modify_call",
        {"request_id": request_id, "leg": "agent", "modify_type": "1", "transfer_to": "104"},
    )
    assert status == 200
    await event(Event="DialEnd", DestExten="104", DialStatus="BUSY")
    assert (await event(Event="MusicOnHoldStop"))["Channel"] == customer
    bridge = sim.channels[agent].bridge
    assert bridge is not None
    assert {member.name for member in bridge.members} == {agent, customer}
    assert not any("cpaas-transfer" in name for name in sim.channels)
