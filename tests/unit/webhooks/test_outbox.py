"""The outbox seen in the store: what the triggers write, in the writer's transaction."""

from __future__ import annotations

import json

import pytest

from cpaas_daemon.calls.model import CallKind, CallRequest, CallState
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.transcripts.repository import MAX_ATTEMPTS, JobState, TranscriptRepository
from cpaas_daemon.webhooks.repository import WebhookRepository


def call(request_id: str) -> CallRequest:
    return CallRequest(
        request_id=request_id,
        account_id="acme",
        kind=CallKind.C2C,
        channel="PJSIP/919979270010@trunk",
        context="cpaas-click2call",
        exten="918000680020",
        caller_id="15168148111",
    )


async def events(db: Database) -> list[tuple[str, int, dict[str, object]]]:
    rows = await db.fetchall("SELECT type, seq, data FROM webhook_events ORDER BY id")
    return [(row["type"], row["seq"], json.loads(row["data"])) for row in rows]


@pytest.fixture
async def store(db: Database) -> Database:
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acme', 'x')")
    await WebhookRepository(db).add("acme", "https://crm.example.com/hook")
    return db


async def test_a_call_the_pbx_refused_completes_without_a_cdr(store: Database) -> None:
    calls = CallRepository(store)
    await calls.insert(call("0123456789"))
    await calls.set_state("0123456789", CallState.REFUSED)
    [initiated, completed] = await events(store)
    assert (initiated[0], initiated[1]) == ("call.initiated", 1)
    assert (completed[0], completed[1]) == ("call.completed", 2)
    assert completed[2]["state"] == "refused"
    assert completed[2]["cdr"] is None


async def _insert_then_fail(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO calls (request_id, account_id, kind, direction, state, created_at)"
            " VALUES ('abcdef0123', 'acme', 'c2c', 'outbound-api', 'queued', 'now')"
        )
        raise StoreUnavailable("disk full")  # the writer fails after its INSERT


async def test_an_event_rolls_back_with_its_state_change(store: Database) -> None:
    with pytest.raises(StoreUnavailable):
        await _insert_then_fail(store)
    assert await events(store) == []
    assert await store.fetchval("SELECT COUNT(*) FROM webhook_deliveries") == 0


async def _transcript_job(store: Database, request_id: str) -> TranscriptRepository:
    """A placed call with transcript on whose job an engine has claimed."""
    await CallRepository(store).insert(call(request_id))
    jobs = TranscriptRepository(store)
    await jobs.expect(request_id)
    assert await jobs.queue(request_id)
    assert await jobs.claim("pocketsphinx") is not None
    return jobs


async def test_a_finished_transcript_is_reported_in_its_calls_stream(store: Database) -> None:
    jobs = await _transcript_job(store, "0123456789")
    await jobs.finish("0123456789", JobState.DONE, text="hello there", audio_seconds=2.5)
    [initiated, ready] = await events(store)
    assert ready == (
        "call.transcript_ready",
        initiated[1] + 1,
        {
            "request_id": "0123456789",
            "status": "done",
            "text": "hello there",
            "reason": "",
            "engine": "pocketsphinx",
            "audio_seconds": 2.5,
        },
    )
    row = await store.fetchone(
        "SELECT account_id, request_id FROM webhook_events WHERE type = 'call.transcript_ready'"
    )
    assert (row["account_id"], row["request_id"]) == ("acme", "0123456789")


async def test_nothing_to_transcribe_is_not_reported(store: Database) -> None:
    jobs = await _transcript_job(store, "0123456789")
    await jobs.finish("0123456789", JobState.NONE, reason="the call was not recorded")
    assert [type_ for type_, _, _ in await events(store)] == ["call.initiated"]


async def test_a_job_given_up_at_recovery_is_reported_failed(store: Database) -> None:
    jobs = await _transcript_job(store, "0123456789")
    await store.execute("UPDATE transcripts SET attempts = ?", (MAX_ATTEMPTS,))
    await jobs.recover()
    [_, (type_, _, data)] = await events(store)
    assert (type_, data["status"]) == ("call.transcript_ready", "failed")
    assert data["reason"] == f"transcription was interrupted {MAX_ATTEMPTS} times"
