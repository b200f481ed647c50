"""``entity=realtime`` against the project's simulated Asterisk over TCP: a caller
waiting in support shows up, and a sales-only user does not see it."""

from __future__ import annotations

from typing import Any

from cpaas_daemon import keys
from cpaas_daemon.ami.actions import AmiAction
from cpaas_daemon.sim.daemon_config import daemon_config
from tests.harness import Daemon, free_port, running_daemon, running_sim
from tests.integration.api.test_asternic import URL, basic


async def realtime(daemon: Daemon, auth: dict[str, str]) -> dict[str, Any]:
    async with daemon.session.get(f"{daemon.url}{URL}?entity=realtime", headers=auth) as response:
        assert response.status == 200
        return await response.json()  # type: ignore[no-any-return]


async def test_realtime_shows_the_waiting_caller_to_permitted_users_only(tmp_path):
    agi_port = free_port()
    async with (
        running_sim(tmp_path, agi_port) as sim,
        running_daemon(daemon_config(tmp_path, sim.port, agi_port)) as daemon,
    ):
        users = daemon.app[keys.DOMAINS].queue_log.stats.users
        await users.add("admin", "*", "admin-password")
        await users.add("sally", "sales", "sales-password")
        admin, sally = basic("admin", "admin-password"), basic("sally", "sales-password")
        wait_in_queue = {
            "Channel": "Local/5550200@inbound-support",
            "Application": "Wait",
            "Data": "30",
            "CallerID": '"Waiting" <0622222222>',
            "Async": "true",
        }  # not an Originate the daemon sends (into an application): built by hand
        await daemon.app[keys.DOMAINS].pbx.pool.first.client.send(
            AmiAction("Originate", wait_in_queue, as_list=False)
        )

        async def caller_waiting() -> dict[str, Any] | None:
            body = await realtime(daemon, admin)
            return body if body["waiting calls"].get("support") else None

        body = await daemon.wait_for(caller_waiting)
        assert body["waiting calls"]["support"]["1"]["calleridNum"] == "0622222222"
        assert body["summary"]["queue"]["support"]["Waiting"] == "1"
        assert body["summary"]["queue"]["support"]["Agents"] == "2"
        assert set(body["agents"]["sales"]) == {"Agent 201", "Agent 202"}
        limited = await realtime(daemon, sally)
        assert list(limited["waiting calls"]) == ["sales"]
        assert list(limited["summary"]["queue"]) == ["sales"]
