"""The page in a real headless Chromium: it renders the live board a browser receives.

Chromium is a Debian package (``make system-deps`` installs it); without it this test is
skipped. Credentials go in the URL: Chromium answers the Basic challenge with them for
the page and its event stream, as an operator's browser would after the password prompt.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon
from tests.integration.wallboard.conftest import BOSS, snapshot

CHROMIUM = shutil.which("chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1400,1100",
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (make system-deps installs it)"
)


async def chromium(profile: Path, *args: str) -> str:
    """Run Chromium once; returns what it printed on stdout."""
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={profile}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(30):
        stdout, _ = await process.communicate()
    assert process.returncode == 0
    return stdout.decode()


def text_of(dom: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', dom)
    assert match, f"no #{element_id} in the page"
    return match.group(1)


async def test_page_shows_live_calls_and_the_waiting_caller(
    daemon: Daemon, sim: SimulatedAsterisk, tmp_path: Path
) -> None:
    # Answered by Agent 201, who talks long enough (simulated) for a slow browser start.
    await sim.inbound_call(
        "5551000", "9000111", context="inbound", variables={"__AGENT_WAIT": "3000"}
    )
    await sim.inbound_call("5552000", "9000222", context="inbound-support")  # waits
    await daemon.wait_for(
        lambda: _board_shows(daemon, live=2, waiting=1),
    )
    url = daemon.url.replace("http://", f"http://{BOSS.login}:{BOSS.password}@") + "/wallboard"

    dom = await chromium(tmp_path / "profile", "--dump-dom", url)

    assert text_of(dom, "live-total") == "2"
    assert text_of(dom, "total-waiting") == "1"
    support = dom[dom.index('data-queue="support"') :]
    assert "9000222" in support
    assert "Agent 301" in support
    assert 'class="agent agent--busy"' in dom  # Agent 201 is on the sales call
    screenshot = tmp_path / "wallboard.png"
    await chromium(tmp_path / "profile", f"--screenshot={screenshot}", url)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def _board_shows(daemon: Daemon, live: int, waiting: int) -> bool:
    board = await snapshot(daemon)
    return board["live_calls"]["total"] == live and board["totals"]["waiting"] == waiting
