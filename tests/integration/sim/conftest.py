"""Fixtures for the simulator tests: a fresh SimulatedAsterisk per test, fast clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.sim import SimConfig, SimulatedAsterisk
from cpaas_daemon.sim.cdr import CdrConf

SCALE = 0.03


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    """A started simulator with queue_log and Master.csv in ``tmp_path``."""
    server = SimulatedAsterisk(
        SimConfig(
            time_scale=SCALE,
            queue_log_path=tmp_path / "queue_log",
            cdr_csv_path=tmp_path / "Master.csv",
            cdr=CdrConf(unanswered=True, congestion=True),  # the reference rig's cdr.conf
        )
    )
    await server.start()
    yield server
    await server.stop()
