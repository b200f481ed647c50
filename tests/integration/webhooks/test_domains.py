"""Events of callbacks and campaigns, written with the state change they report."""

from __future__ import annotations

from pathlib import Path

from tests.harness import Daemon
from tests.integration.callbacks.helpers import new_callback
from tests.integration.campaigns.helpers import (
    campaign_body,
    create_campaign,
    new_list,
    upload_prompt,
)
from tests.integration.webhooks.helpers import events_of, has, subscribe
from tests.integration.webhooks.receiver import Receiver


async def test_a_callback_and_its_call_share_one_ordered_stream(
    daemon: Daemon, receiver: Receiver
) -> None:
    await subscribe(daemon, receiver.url("/cb"))
    status, body = await daemon.post("/api/callback", new_callback(1))
    assert status == 200, body
    request_id = body["response"]["request_id"]
    await receiver.wait(lambda: has(receiver, "/cb", request_id, "callback.completed"), 20)
    events = events_of(receiver, "/cb", request_id)
    types = [e["type"] for e in events]
    assert types[:3] == ["callback.scheduled", "callback.dialled", "call.initiated"]
    assert types.index("call.completed") < types.index("callback.completed")
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    done = events[types.index("callback.completed")]["data"]
    assert (done["state"], done["dial_status"]) == ("completed", "ANSWER")


async def test_a_campaign_reports_start_each_outcome_dtmf_and_finish(
    daemon: Daemon, receiver: Receiver, tmp_path: Path
) -> None:
    upload_prompt(tmp_path / "uploads")
    wanted = [
        "campaign.started",
        "campaign.contact_outcome",
        "campaign.finished",
        "call.dtmf",
    ]
    await subscribe(daemon, receiver.url("/camp"), events=wanted)
    list_id = await new_list(daemon, ["919979270007", "919979270004"])  # presses 1; busy
    campaign_id = await create_campaign(daemon, campaign_body(list_id, campaign_type="1"))

    def finished() -> bool:
        return any(r.event["type"] == "campaign.finished" for r in receiver.at("/camp"))

    await receiver.wait(finished, 30)
    stream = [r.event for r in receiver.at("/camp") if r.event["request_id"] is None]
    assert [e["type"] for e in stream] == [
        "campaign.started",
        "campaign.contact_outcome",
        "campaign.contact_outcome",
        "campaign.finished",
    ]
    assert [e["sequence"] for e in stream] == [1, 2, 3, 4]
    assert {e["data"]["campaign_id"] for e in stream} == {campaign_id}
    outcomes = {
        e["data"]["contact_number"]: e["data"]["outcome"]
        for e in stream
        if e["type"] == "campaign.contact_outcome"
    }
    assert outcomes == {"919979270007": "ANSWER", "919979270004": "BUSY"}
    [dtmf] = [r.event for r in receiver.at("/camp") if r.event["type"] == "call.dtmf"]
    assert dtmf["data"]["digits"] == "1"
