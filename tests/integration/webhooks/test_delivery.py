"""A click-to-call seen by a CRM: every event, signed, in order, once per id."""

from __future__ import annotations

import time

import pytest

from cpaas_daemon import keys
from tests.harness import Daemon
from tests.integration.webhooks.helpers import click2call, events_of, has, subscribe
from tests.integration.webhooks.receiver import Receiver, verify


async def test_call_events_arrive_signed_in_order_with_cdr(
    daemon: Daemon, receiver: Receiver
) -> None:
    hook = await subscribe(daemon, receiver.url("/crm"))
    assert hook["secret"].startswith("whsec_")
    request_id = await click2call(daemon)
    await receiver.wait(lambda: has(receiver, "/crm", request_id, "call.completed"))

    events = events_of(receiver, "/crm", request_id)
    types = [e["type"] for e in events]
    # one answered per party: the agent's leg, then the customer's. These phones answer
    # without ringing first (no 180), so no call.ringing: see the test below
    assert types == ["call.initiated", "call.answered", "call.answered", "call.completed"]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)
    for event in events:
        assert event["account"] == "account_1"
        assert event["request_id"] == request_id
        assert event["timestamp"].endswith("Z")
    agent, customer = (e["data"]["channel"] for e in events if e["type"] == "call.answered")
    assert agent.startswith("Local/919979270010@")
    assert customer.startswith("Local/918000680020@")
    completed = next(e for e in events if e["type"] == "call.completed")
    assert completed["data"]["cdr"]["dial_status"] == "ANSWER"
    assert completed["data"]["cdr"]["billsec"] > 0

    for got in receiver.at("/crm"):
        assert got.headers["webhook-id"] == got.event["id"]
        assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
        assert verify(hook["secret"], got.headers, got.raw)
        assert not verify("whsec_" + "A" * 32, got.headers, got.raw)


PARTY_EVENTS = ["call.ringing", "call.answered"]


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [  # numbers ending in 6 ring and never answer; in 4 are busy without ringing
        ({"agent_number": "919979270016"}, ["call.ringing"]),
        ({"destination_number": "918000680026"}, ["call.answered", "call.ringing"]),
        ({"destination_number": "918000680024"}, ["call.answered"]),
    ],
    ids=["agent-rings", "customer-rings", "customer-busy"],
)
async def test_ringing_is_reported_for_a_party_that_rings_only(
    daemon: Daemon, receiver: Receiver, numbers: dict[str, str], expected: list[str]
) -> None:
    """Not for the Ring state a Local channel's ;2 half is born in (a busy number's too)."""
    await subscribe(daemon, receiver.url("/crm"), events=[*PARTY_EVENTS, "call.completed"])
    request_id = await click2call(daemon, **numbers)
    # delivered in order per call: the rest arrived before call.completed did
    await receiver.wait(lambda: has(receiver, "/crm", request_id, "call.completed"))
    types = [e["type"] for e in events_of(receiver, "/crm", request_id)]
    assert types == [*expected, "call.completed"]


async def test_event_types_filter_what_an_endpoint_receives(
    daemon: Daemon, receiver: Receiver
) -> None:
    await subscribe(daemon, receiver.url("/done"), events=["call.completed"])
    await subscribe(daemon, receiver.url("/all"))
    request_id = await click2call(daemon)
    await receiver.wait(lambda: has(receiver, "/done", request_id, "call.completed"))
    await receiver.wait(lambda: has(receiver, "/all", request_id, "call.completed"))
    assert [e["type"] for e in events_of(receiver, "/done", request_id)] == ["call.completed"]
    # per endpoint, the sequence is the call's: the filtered endpoint sees a gap, not a 1
    assert events_of(receiver, "/done", request_id)[0]["sequence"] > 1


async def test_no_event_of_one_account_reaches_another_accounts_endpoint(
    daemon: Daemon, receiver: Receiver
) -> None:
    mine = await subscribe(daemon, receiver.url("/one"), account="account_1")
    await subscribe(daemon, receiver.url("/two"), account="account_2")
    first = await click2call(daemon, account="account_1")
    second = await click2call(daemon, account="account_2")
    await receiver.wait(lambda: has(receiver, "/one", first, "call.completed"))
    await receiver.wait(lambda: has(receiver, "/two", second, "call.completed"))
    assert {r.event["account"] for r in receiver.at("/one")} == {"account_1"}
    assert {r.event["account"] for r in receiver.at("/two")} == {"account_2"}

    status, body = await daemon.get("/api/webhooks", account="account_2")
    assert status == 200
    assert [h["url"] for h in body["response"]["result"]] == [receiver.url("/two")]
    for method in ("PATCH", "DELETE"):
        status, body = await daemon.call(
            method, "/api/webhooks", {"webhook_id": mine["webhook_id"]}, account="account_2"
        )
        assert (status, body["response"]["success"]) == (404, "false")
    status, _ = await daemon.post(
        "/api/webhooks/rotate_secret", {"webhook_id": mine["webhook_id"]}, account="account_2"
    )
    assert status == 404


async def test_an_account_without_endpoints_writes_no_event_rows(
    daemon: Daemon, receiver: Receiver
) -> None:
    request_id = await click2call(daemon)
    await daemon.cdr(request_id)
    assert (
        await daemon.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM webhook_events") == 0
    )


async def test_rotation_signs_with_both_secrets_until_the_old_one_expires(
    daemon: Daemon, receiver: Receiver
) -> None:
    hook = await subscribe(daemon, receiver.url("/rot"), events="call.initiated")
    status, body = await daemon.post(
        "/api/webhooks/rotate_secret", {"webhook_id": hook["webhook_id"]}
    )
    assert status == 200
    new = body["response"]["secret"]
    assert new != hook["secret"]
    await click2call(daemon)
    [got] = await receiver.wait(lambda: receiver.at("/rot"))
    assert len(got.headers["webhook-signature"].split()) == 2
    assert verify(new, got.headers, got.raw)
    assert verify(hook["secret"], got.headers, got.raw)


async def test_a_crm_transfers_the_channel_its_answered_event_named(
    daemon: Daemon, receiver: Receiver
) -> None:
    await subscribe(daemon, receiver.url("/act"), events=["call.answered", "call.transfer"])
    request_id = await click2call(
        daemon, agent_number="919979270019", destination_number="918000680029"
    )

    def customer_answered() -> str | None:
        for event in events_of(receiver, "/act", request_id):
            if event["data"]["channel"].startswith("Local/918000680029@"):
                return str(event["data"]["channel"])
        return None

    channel = await receiver.wait(customer_answered)
    status, body = await daemon.post(
        "/api/modify_call", {"channel": channel, "modify_type": "0", "transfer_to": "102"}
    )
    assert status == 200, body
    await receiver.wait(lambda: has(receiver, "/act", request_id, "call.transfer"))
    transfer = events_of(receiver, "/act", request_id)[-1]
    assert transfer["data"] == {
        "kind": "c2c",
        "channel": channel,
        "transfer_to": "102",
        "mode": "blind",
    }
