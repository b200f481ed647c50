"""One log line per HTTP request: what a service adds rides on the request's own line."""

from __future__ import annotations

import asyncio

from cpaas_daemon.log import add_to_request_line, request_line


def test_fields_ride_on_the_open_request_line_and_nowhere_else() -> None:
    assert add_to_request_line(request_id="0123456789") is False  # no request: log your own
    with request_line() as line:
        assert add_to_request_line(request_id="0123456789", kind="c2c") is True
    assert line.fields == {"request_id": "0123456789", "kind": "c2c"}
    assert add_to_request_line(request_id="x") is False


async def test_a_task_outliving_its_request_logs_its_own_line() -> None:
    release = asyncio.Event()

    async def placed_later() -> bool:
        await release.wait()
        return add_to_request_line(request_id="0123456789")

    with request_line() as line:
        task = asyncio.create_task(placed_later())  # copies the request's context
    release.set()
    assert await task is False
    assert line.fields == {}
