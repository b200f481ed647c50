"""Fault tests run the real daemon over HTTP against the simulated Asterisk over TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, daemon_config, free_port, running_daemon, running_sim


@pytest.fixture
def agi_port() -> int:
    return free_port()


@pytest.fixture
async def sim(tmp_path: Path, agi_port: int) -> AsyncIterator[SimulatedAsterisk]:
    async with running_sim(tmp_path, agi_port) as simulator:
        yield simulator


@pytest.fixture
async def daemon(tmp_path: Path, sim: SimulatedAsterisk, agi_port: int) -> AsyncIterator[Daemon]:
    async with running_daemon(daemon_config(tmp_path, sim.port, agi_port)) as running:
        yield running
