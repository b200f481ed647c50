"""Conditional state changes on the real SQLite store, and start-up reconciliation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cpaas_daemon.callbacks.model import CallbackSpec, CallbackState
from cpaas_daemon.callbacks.recovery import NOT_PLACED, reconcile_dialing
from cpaas_daemon.callbacks.repository import CallbackRepository
from cpaas_daemon.calls.model import CallKind, CallRequest, CallState
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import utc_now

SPEC = CallbackSpec(
    "919979270010", "15168148111", "918000680020", "off", "Asia/Kolkata", "2030-01-01 10:00:00"
)


@pytest.fixture
def repo(db: Database) -> CallbackRepository:
    return CallbackRepository(db)


async def claimed(repo: CallbackRepository) -> str:
    """A callback that was due and claimed for dialling."""
    due = utc_now() - timedelta(seconds=1)
    request_id = await repo.insert("account_1", SPEC, due)
    assert await repo.claim(request_id, due)
    return request_id


async def place_call(db: Database, request_id: str) -> None:
    await CallRepository(db).insert(
        CallRequest(request_id, "account_1", CallKind.CALLBACK, "Local/1@x", "c", "1", "")
    )


async def state(repo: CallbackRepository, request_id: str) -> CallbackState:
    callback = await repo.get(request_id)
    assert callback is not None
    return callback.state


async def test_claim_succeeds_once(repo: CallbackRepository) -> None:
    due = utc_now()
    request_id = await repo.insert("account_1", SPEC, due)
    assert await repo.claim(request_id, due)
    assert not await repo.claim(request_id, due)
    callback = await repo.get(request_id)
    assert callback is not None
    assert (callback.state, callback.attempts) == (CallbackState.DIALING, 1)


async def test_claim_fails_when_the_time_was_moved_since_it_was_read(
    repo: CallbackRepository,
) -> None:
    due = utc_now()
    request_id = await repo.insert("account_1", SPEC, due)
    assert await repo.reschedule(request_id, SPEC, due + timedelta(hours=1))
    assert not await repo.claim(request_id, due)
    assert await state(repo, request_id) is CallbackState.SCHEDULED


async def test_a_claimed_callback_can_no_longer_be_rescheduled_or_cancelled(
    repo: CallbackRepository,
) -> None:
    request_id = await claimed(repo)
    assert not await repo.reschedule(request_id, SPEC, utc_now() + timedelta(hours=1))
    assert not await repo.move(request_id, CallbackState.CANCELLED, [CallbackState.SCHEDULED])
    assert await state(repo, request_id) is CallbackState.DIALING


async def test_lookup_is_scoped_to_the_account(repo: CallbackRepository) -> None:
    request_id = await repo.insert("account_1", SPEC, utc_now())
    assert await repo.get(request_id, "account_2") is None
    assert await repo.get(request_id, "account_1") is not None


async def test_restart_fails_a_claim_that_never_reached_the_calls_table(
    repo: CallbackRepository,
) -> None:
    request_id = await claimed(repo)
    await reconcile_dialing(repo)
    callback = await repo.get(request_id)
    assert callback is not None
    assert (callback.state, callback.reason) == (CallbackState.FAILED, NOT_PLACED)


async def test_restart_settles_a_placed_call_from_its_cdr(
    db: Database, repo: CallbackRepository
) -> None:
    request_id = await claimed(repo)
    await place_call(db, request_id)
    await db.execute(
        "UPDATE calls SET dial_status='BUSY', state='completed' WHERE request_id=?", (request_id,)
    )
    await reconcile_dialing(repo)
    callback = await repo.get(request_id)
    assert callback is not None
    assert (callback.state, callback.dial_status) == (CallbackState.FAILED, "BUSY")


async def test_restart_leaves_a_call_without_cdr_dialing_for_its_cdr(
    db: Database, repo: CallbackRepository
) -> None:
    request_id = await claimed(repo)
    await place_call(db, request_id)
    await CallRepository(db).set_state(request_id, CallState.ORIGINATED)
    await reconcile_dialing(repo)
    assert await state(repo, request_id) is CallbackState.DIALING
