"""A daemon that may deliver to loopback (the receiver), with retries shrunk ~100,000x."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, running_daemon
from tests.integration.webhooks.receiver import Receiver, running_receiver

LOOPBACK = {
    "allowed_networks": ["127.0.0.0/8"],
    "retry_scale": 1e-5,
    "poll_interval": 0.05,
    "concurrency_per_endpoint": 4,
}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
async def daemon(tmp_path: Path, sim: SimulatedAsterisk, agi_port: int) -> AsyncIterator[Daemon]:
    config = daemon_config(tmp_path, sim.port, agi_port, webhooks={**LOOPBACK, "timeout": 1.0})
    async with running_daemon(config) as running:
        yield running
