"""Run the daemon for real: HTTP on a TCP port, AMI to the simulated Asterisk over TCP.

Integration tests drive it exactly as production would: a CRM over HTTP, Asterisk over
AMI (and FastAGI). Nothing is mocked; the simulator is the project's Asterisk model.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.app import create_app
from cpaas_daemon.config import Config
from cpaas_daemon.http_server import serving
from cpaas_daemon.sim.daemon_config import SIM_AMI_SECRET
from cpaas_daemon.sim.server import SimConfig, SimulatedAsterisk
from tests.store_rig import with_test_store

TIME_SCALE = 0.02
ACCOUNTS = {"account_1": "secret-one-123456", "account_2": "secret-two-123456"}


def free_port() -> int:
    """A port that is free now and outside Linux's ephemeral range (32768-60999), so an
    outgoing connection cannot take it before the server that was given it binds."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


@dataclass
class Daemon:
    """A running daemon and an HTTP client speaking to it."""

    app: web.Application
    url: str
    session: aiohttp.ClientSession
    accounts: dict[str, str] = field(default_factory=dict)

    def headers(self, account: str = "account_1") -> dict[str, str]:
        return {"account": account, "auth": self.accounts[account]}

    async def call(
        self, method: str, path: str, body: Any = None, account: str | None = "account_1"
    ) -> tuple[int, Any]:
        """One HTTP request; returns (status, decoded JSON body)."""
        headers = self.headers(account) if account else {}
        async with self.session.request(
            method, self.url + path, json=body, headers=headers
        ) as response:
            return response.status, await response.json(content_type=None)

    async def post(self, path: str, body: Any, account: str | None = "account_1") -> Any:
        return await self.call("POST", path, body, account)

    async def get(self, path: str, account: str | None = "account_1") -> Any:
        return await self.call("GET", path, None, account)

    async def wait_for(self, probe: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
        """Poll ``probe`` until it returns something truthy.

        A client can only observe the daemon from outside (HTTP answers, database rows), so
        this polls what a user would see, bounded by ``within`` seconds.
        """
        async with asyncio.timeout(within):
            while not (result := await probe()):  # noqa: ASYNC110 - no event to await
                await asyncio.sleep(0.02)
            return result

    async def cdr(self, request_id: str, account: str = "account_1") -> list[dict[str, Any]]:
        """Wait until the request's CDR is stored, then return it as the API shows it."""

        async def probe() -> list[dict[str, Any]] | None:
            status, body = await self.post(
                "/api/get_cdr_by_request_id", {"request_id": request_id}, account
            )
            return body["response"]["result"] if status == 200 else None

        return await self.wait_for(probe)  # type: ignore[no-any-return]


@asynccontextmanager
async def running_sim(
    tmp_path: Path, agi_port: int, **options: Any
) -> AsyncIterator[SimulatedAsterisk]:
    sim = SimulatedAsterisk(
        SimConfig(
            time_scale=options.pop("time_scale", TIME_SCALE),
            secret=options.pop("secret", SIM_AMI_SECRET),
            queue_log_path=tmp_path / "queue_log",
            cdr_csv_path=tmp_path / "Master.csv",
            **options,
        )
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@asynccontextmanager
async def running_daemon(config: Config, connect: bool = True) -> AsyncIterator[Daemon]:
    app = create_app(with_test_store(config))
    async with serving(app, config.http.host, 0) as port, _client(app, port, connect) as daemon:
        yield daemon


@asynccontextmanager
async def _client(app: web.Application, port: int, connect: bool) -> AsyncIterator[Daemon]:
    session = aiohttp.ClientSession()
    daemon = Daemon(app, f"http://127.0.0.1:{port}", session)
    try:
        for account, secret in ACCOUNTS.items():
            if (
                account not in await app[keys.DOMAINS].core.accounts.list_ids()
            ):  # a restart reuses the db
                await app[keys.DOMAINS].core.accounts.add(account, secret)
            daemon.accounts[account] = secret
        if connect:
            async with asyncio.timeout(10):
                await app[keys.DOMAINS].pbx.pool.wait_connected()
        yield daemon
    finally:
        await session.close()
