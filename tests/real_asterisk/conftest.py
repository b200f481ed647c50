"""A real Asterisk and the daemon (not ``--simulate``) connected to it.

One Asterisk serves the whole session (start-up costs seconds); each test gets its own
daemon and store. Tests whose PBX must differ (cdr.conf, a restart, queue_log counts)
start their own :class:`AsteriskRig` through :func:`own_asterisk`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from cpaas_daemon.sim.daemon_config import daemon_config
from tests.harness import Daemon, free_port, running_daemon
from tests.real_asterisk.rig import AMI_SECRET, AMI_USER, AsteriskRig, NoAsterisk, locate

# Every test module here starts with ``pytestmark = REAL_ASTERISK``: its tests share the
# session's event loop, where the session's Asterisk and its AMI sessions live.
REAL_ASTERISK = [pytest.mark.real_asterisk, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(scope="session")
def asterisk_binary() -> Path:
    try:
        return locate()
    except NoAsterisk as exc:
        pytest.skip(str(exc))


@asynccontextmanager
async def own_asterisk(binary: Path, **options: Any) -> AsyncIterator[AsteriskRig]:
    rig = AsteriskRig(binary, free_port(), **options)
    try:
        await rig.start()
        yield rig
    finally:
        await rig.stop()
        rig.remove()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def asterisk(asterisk_binary: Path) -> AsyncIterator[AsteriskRig]:
    async with own_asterisk(asterisk_binary) as rig:
        yield rig


def real_config(rig: AsteriskRig, workdir: Path, **overrides: Any) -> Any:
    """The daemon's configuration for this PBX: its AMI user, files and recordings."""
    sections: dict[str, Any] = {
        "ami": {"port": rig.ami_port, "username": AMI_USER, "secret": AMI_SECRET},
        "dial": {"recordings_dir": str(workdir / "recordings"), "ring_timeout": 5,
                 "originate_timeout_ms": 8000},
        "queue_log": {"path": str(rig.queue_log)},
        "cdr": {"csv_path": str(rig.master_csv), "fallback_after": 2.0},
    }  # fmt: skip
    for section, values in overrides.items():
        sections[section] = {**sections.get(section, {}), **values}
    return daemon_config(workdir, rig.ami_port, free_port(), **sections)


@pytest_asyncio.fixture(loop_scope="session")
async def real_daemon(asterisk: AsteriskRig, tmp_path: Path) -> AsyncIterator[Daemon]:
    if not asterisk.alive:
        # An earlier test took the shared PBX down (that test says so, see alive_after):
        # the next ones get a fresh one instead of failing for its sake.
        print(f"asterisk exited with {asterisk.process and asterisk.process.returncode}:")
        print(asterisk.log_tail())
        await asterisk.start()
    async with running_daemon(real_config(asterisk, tmp_path)) as daemon:
        yield daemon
    assert asterisk.alive, (
        f"asterisk exited with {asterisk.process and asterisk.process.returncode} during the"
        f" test:\n{asterisk.log_tail()}"
    )
