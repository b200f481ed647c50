"""call.transcript_ready: a recorded call's transcript reaches the CRM, signed, after the
call's call.completed, and only the call's own account hears of it."""

from __future__ import annotations

from pathlib import Path

from tests.harness import Daemon
from tests.integration.transcripts.conftest import speech_wav  # noqa: F401  (the spoken WAV fixture)
from tests.integration.transcripts.test_api import hang_up, recorded_call, settled
from tests.integration.webhooks.helpers import events_of, has, subscribe
from tests.integration.webhooks.receiver import Receiver, verify

WANTED = ["call.completed", "call.transcript_ready"]


async def test_transcript_ready_arrives_signed_with_the_text(
    daemon: Daemon,
    receiver: Receiver,
    tmp_path: Path,
    speech_wav: Path,  # noqa: F811
) -> None:
    hook = await subscribe(daemon, receiver.url("/crm"), events=WANTED)
    await subscribe(daemon, receiver.url("/other"), account="account_2")
    request_id = await recorded_call(daemon, tmp_path, speech_wav)
    await hang_up(daemon, request_id)
    result = await settled(daemon, request_id)
    assert result["status"] == "done", result
    await receiver.wait(
        lambda: has(receiver, "/crm", request_id, "call.transcript_ready"), within=30.0
    )

    completed, ready = events_of(receiver, "/crm", request_id)
    assert (completed["type"], ready["type"]) == tuple(WANTED)
    assert ready["sequence"] > completed["sequence"]  # the same stream: the call's
    assert ready["account"] == "account_1"
    assert ready["request_id"] == request_id
    assert ready["data"]["request_id"] == request_id
    assert ready["data"]["status"] == "done"
    assert ready["data"]["text"] == result["transcript"]
    assert "order" in ready["data"]["text"].split()
    assert ready["data"]["reason"] == ""
    assert ready["data"]["engine"] == "pocketsphinx"
    assert ready["data"]["audio_seconds"] > 0
    [got] = [r for r in receiver.at("/crm") if r.event["type"] == "call.transcript_ready"]
    assert got.headers["webhook-id"] == ready["id"]
    assert verify(hook["secret"], got.headers, got.raw)
    assert receiver.at("/other") == []  # account_2's endpoint never hears of this call


async def test_a_failed_transcript_is_reported_with_its_reason(
    daemon: Daemon, receiver: Receiver, tmp_path: Path
) -> None:
    await subscribe(daemon, receiver.url("/crm"), events=["call.transcript_ready"])
    request_id = await recorded_call(daemon, tmp_path, b"RIFX\x00\x01garbage" * 100)
    await hang_up(daemon, request_id)
    await receiver.wait(
        lambda: has(receiver, "/crm", request_id, "call.transcript_ready"), within=30.0
    )
    [ready] = events_of(receiver, "/crm", request_id)
    assert ready["data"]["status"] == "failed"
    assert ready["data"]["text"] == ""
    assert "not a readable WAV file" in ready["data"]["reason"]
