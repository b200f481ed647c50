"""The wallboard over HTTP: snapshot document, live stream, authentication, queue scope."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.wallboard.hub import RELEVANT_EVENTS
from tests.harness import Daemon, free_port, running_daemon
from tests.integration.wallboard.conftest import BOSS, SALES_LEAD, EventStream, StatsUser, snapshot

KINDS = {"c2c", "otp", "callback", "campaign", "inbound", "other"}


async def next_board_where(
    stream: EventStream, check: Callable[[dict[str, Any]], bool], within: float = 10.0
) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while not check(board := await stream.board()):
            pass
    return board


async def test_snapshot_lists_every_queue_with_agents_live_calls_and_campaigns(
    daemon: Daemon,
) -> None:
    board = await snapshot(daemon)

    assert board["pbx"] == "up"
    assert board["restricted"] is False
    assert abs(board["at"] - time.time()) < 5
    assert set(board["totals"]) == {
        "waiting", "longest_wait", "answered", "abandoned", "agents", "in_call", "paused"
    }  # fmt: skip
    assert [queue["name"] for queue in board["queues"]] == ["sales", "support"]
    sales = board["queues"][0]
    assert {"waiting", "longest_wait", "answered", "abandoned", "abandon_rate", "callers"} < set(
        sales
    )
    assert [agent["name"] for agent in sales["agents"]] == ["Agent 201", "Agent 202"]
    assert sales["agents"][0] == {
        "name": "Agent 201",
        "interface": "Local/201@agents/n",
        "status": "Not in use",
        "paused": False,
        "paused_reason": "",
        "in_call": False,
        "calls_taken": 0,
    }
    assert board["live_calls"] == {
        "total": 0,
        "channels": 0,
        "by_kind": dict.fromkeys(KINDS, 0),
    }
    assert board["campaigns"] == []


async def test_stream_sends_a_snapshot_then_an_update_when_a_queue_call_starts(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    url = f"{daemon.url}/wallboard/events"
    async with daemon.session.get(url, headers=BOSS.auth) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream"
        stream = EventStream(response)
        first = await stream.board()
        assert first["live_calls"]["total"] == 0

        await sim.inbound_call("5551000", "9000111", context="inbound-support")
        board = await next_board_where(stream, lambda b: b["queues"][1]["waiting"] == 1)

    support = board["queues"][1]
    assert support["callers"][0]["number"] == "9000111"
    assert board["live_calls"]["by_kind"]["other"] == 1
    assert board["totals"]["waiting"] == 1


async def test_stream_coalesces_a_burst_of_calls_into_few_updates(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    events: list[str] = []
    daemon.app[keys.DOMAINS].core.bus.subscribe(
        lambda event: events.append(event["Event"]), *RELEVANT_EVENTS
    )
    url = f"{daemon.url}/wallboard/events"
    async with daemon.session.get(url, headers=BOSS.auth) as response:
        stream = EventStream(response)
        await stream.board()
        started = time.monotonic()
        for caller in range(10):
            await sim.inbound_call("5551000", f"90001{caller:02d}", context="inbound-support")
        updates = 1
        while (await stream.board())["totals"]["waiting"] < 10:
            updates += 1
    elapsed = time.monotonic() - started
    assert len(events) >= 30  # channels, queue joins, ringing members...
    assert updates <= 4 * elapsed + 1  # ...reach the screen as at most ~4 boards a second


async def test_no_credentials_or_a_wrong_password_get_401_with_a_basic_challenge(
    daemon: Daemon,
) -> None:
    for path in ("/wallboard", "/wallboard/snapshot", "/wallboard/events"):
        async with daemon.session.get(daemon.url + path) as response:
            assert response.status == 401, path
            assert response.headers["WWW-Authenticate"] == 'Basic realm="stats"'
    wrong = StatsUser("boss", "not-the-password")
    async with daemon.session.get(f"{daemon.url}/wallboard", headers=wrong.auth) as response:
        assert response.status == 401


async def test_a_user_limited_to_sales_sees_only_sales_and_no_account_wide_panels(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    await sim.inbound_call("5551000", "9000111", context="inbound-support")
    board = await snapshot(daemon, SALES_LEAD)

    assert [queue["name"] for queue in board["queues"]] == ["sales"]
    assert board["totals"]["waiting"] == 0  # the support caller is not theirs
    assert board["restricted"] is True
    assert board["live_calls"] is None
    assert board["campaigns"] is None
    async with daemon.session.get(
        f"{daemon.url}/wallboard/events", headers=SALES_LEAD.auth
    ) as response:
        streamed = await EventStream(response).board()
    assert [queue["name"] for queue in streamed["queues"]] == ["sales"]


async def test_page_inlines_the_board_and_its_assets_need_no_credentials(daemon: Daemon) -> None:
    async with daemon.session.get(f"{daemon.url}/wallboard", headers=BOSS.auth) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        html = await response.text()
    assert '<script id="initial-board" type="application/json">{"at":' in html
    for asset, kind in (("wallboard.js", "javascript"), ("wallboard.css", "text/css")):
        async with daemon.session.get(f"{daemon.url}/wallboard/static/{asset}") as response:
            assert response.status == 200
            assert kind in response.headers["Content-Type"]


async def test_shutdown_ends_open_streams_promptly(tmp_path: Any, sim: SimulatedAsterisk) -> None:
    config = daemon_config(tmp_path, sim.port, free_port())
    async with aiohttp.ClientSession() as viewer:
        async with running_daemon(config) as running:
            await running.app[keys.DOMAINS].queue_log.stats.users.add(
                BOSS.login, "*", BOSS.password
            )
            response = await viewer.get(f"{running.url}/wallboard/events", headers=BOSS.auth)
            stream = EventStream(response)
            await stream.board()
            stopping = time.monotonic()
        assert time.monotonic() - stopping < 5
        with pytest.raises(EOFError):
            await stream.message()
        response.release()
