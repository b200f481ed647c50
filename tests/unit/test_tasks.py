"""Ending a component's task: the caller's own cancellation is never swallowed."""

from __future__ import annotations

import asyncio

import pytest

from cpaas_daemon.tasks import cancel


async def test_cancel_ends_the_task_and_reraises_what_else_it_ended_with() -> None:
    forever = asyncio.create_task(asyncio.Event().wait())
    await cancel(forever)
    assert forever.cancelled()

    async def refuses_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("broken on the way out") from None

    broken = asyncio.create_task(refuses_to_stop())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="broken on the way out"):
        await cancel(broken)


async def test_a_caller_cancelled_while_it_waits_for_a_task_to_end_is_cancelled() -> None:
    """The lease keeper's round stops a PBX (cancel of its tailer) at the moment the
    keeper itself is stopped: the round must end, not carry on."""
    child_may_end, child_cancelled = asyncio.Event(), asyncio.Event()
    after: list[str] = []

    async def slow_to_end() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            child_cancelled.set()  # cancel() sent it: the caller is waiting for it now
            await child_may_end.wait()

    async def caller() -> None:
        child = asyncio.create_task(slow_to_end())
        await asyncio.sleep(0)
        await cancel(child)
        after.append("carried on")

    outer = asyncio.create_task(caller())
    await child_cancelled.wait()
    outer.cancel()
    child_may_end.set()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert after == []
