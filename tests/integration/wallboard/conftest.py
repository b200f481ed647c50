"""A daemon on a real-time simulator (queue calls last seconds, so a screen can see them)
and two stats users: ``boss`` sees every queue, ``sales_lead`` only ``sales``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, free_port, running_daemon, running_sim


@dataclass(frozen=True)
class StatsUser:
    login: str
    password: str

    @property
    def auth(self) -> dict[str, str]:
        """The Authorization header (aiohttp 3.14 deprecates ``BasicAuth``)."""
        return {"Authorization": aiohttp.encode_basic_auth(self.login, self.password)}


BOSS = StatsUser("boss", "boss-password-1")
SALES_LEAD = StatsUser("sales_lead", "sales-password-1")


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    async with running_sim(tmp_path, free_port(), time_scale=1.0) as simulator:
        yield simulator


@pytest.fixture
async def daemon(tmp_path: Path, sim: SimulatedAsterisk) -> AsyncIterator[Daemon]:
    config = daemon_config(tmp_path, sim.port, free_port())
    async with running_daemon(config) as running:
        users = running.app[keys.DOMAINS].queue_log.stats.users
        await users.add(BOSS.login, "*", BOSS.password)
        await users.add(SALES_LEAD.login, "sales", SALES_LEAD.password)
        yield running


async def snapshot(daemon: Daemon, user: StatsUser = BOSS) -> dict[str, Any]:
    url = f"{daemon.url}/wallboard/snapshot"
    async with daemon.session.get(url, headers=user.auth) as response:
        assert response.status == 200
        return await response.json()  # type: ignore[no-any-return]


@dataclass
class EventStream:
    """Reads ``text/event-stream`` messages off an open response."""

    response: aiohttp.ClientResponse

    async def message(self) -> dict[str, str]:
        """The next message's fields (``event``, ``data``, ``comment``...)."""
        fields: dict[str, str] = {}
        while True:
            line = (await self.response.content.readline()).decode()
            if not line:
                raise EOFError("stream ended")
            line = line.rstrip("\n")
            if not line:
                if fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            fields[name or "comment"] = value.removeprefix(" ")

    async def board(self) -> dict[str, Any]:
        """The next ``board`` event's document (skipping retry and heartbeats)."""
        while True:
            fields = await self.message()
            if fields.get("event") == "board":
                return json.loads(fields["data"])  # type: ignore[no-any-return]
