"""Issue 10.3: slow and greedy clients cannot take the HTTP side down.

Attacks as described: connections that trickle header bytes, a body that never
completes, more connections than the caps allow. Each asserts that the attack is cut
off, is counted on /metrics, and that an ordinary client is still served.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.systemd_notify import health_probe, watchdog
from tests.harness import Daemon, running_daemon

TIGHT = {
    "header_timeout": 0.5,
    "body_timeout": 0.5,
    "max_connections": 12,
    "max_connections_per_peer": 8,
}


@pytest.fixture
async def tight(tmp_path: Path, sim: SimulatedAsterisk, agi_port: int) -> AsyncIterator[Daemon]:
    config = daemon_config(tmp_path, sim.port, agi_port, http=TIGHT)
    async with running_daemon(config) as daemon:
        yield daemon


def port_of(daemon: Daemon) -> int:
    return int(daemon.url.rsplit(":", 1)[1])


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    async with asyncio.timeout(seconds):
        return await reader.read()


def rejections(daemon: Daemon, limit: str) -> float:
    registry = daemon.app[keys.DOMAINS].core.metrics.registry
    return registry.get_sample_value("cpaas_limit_rejections_total", {"limit": limit}) or 0.0


async def test_connections_trickling_headers_are_closed_and_others_served(tight: Daemon) -> None:
    slow = [await asyncio.open_connection("127.0.0.1", port_of(tight)) for _ in range(6)]
    for _, writer in slow:
        writer.write(b"POST /api/click2call HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    started = time.monotonic()
    status, _ = await tight.get("/health", None)
    assert status == 200
    for reader, writer in slow:
        assert await closed_within(reader, 3) == b""  # closed by the daemon, no answer
        writer.close()
    assert time.monotonic() - started < 3


async def test_a_body_that_never_completes_is_408_in_the_dialect_and_nothing_dialled(
    tight: Daemon, sim: SimulatedAsterisk
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(tight))
    auth = f"account: account_1\r\nauth: {tight.accounts['account_1']}\r\n"
    writer.write(
        b"POST /api/click2call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + auth.encode()
        + b'Content-Length: 200\r\n\r\n{"agent_number":'
    )
    async with asyncio.timeout(3):
        answer = await reader.read(65536)  # the answer, before the rest of the body came
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert b'"success":"false"' in body
    assert b"not received in time" in body
    assert not [a for a in sim.actions if str(a.get("Action")).lower() == "originate"]


async def test_connections_past_the_per_peer_cap_are_refused_and_counted(tight: Daemon) -> None:
    held = [await asyncio.open_connection("127.0.0.1", port_of(tight)) for _ in range(8)]
    assert await refused(port_of(tight))
    assert rejections(tight, "http_connections_per_peer") == 1
    for _, held_writer in held:
        held_writer.close()
    status, _ = await tight.wait_for(lambda: _health(tight))
    assert status == 200


async def refused(port: int) -> bool:
    """True when the daemon closes a new connection without answering it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        return await closed_within(reader, 3) == b""
    except ConnectionResetError:
        return True
    finally:
        writer.close()


async def _true(value: float) -> bool:
    return bool(value)


async def _health(daemon: Daemon) -> tuple[int, object] | None:
    try:
        return await daemon.get("/health", None)  # type: ignore[no-any-return]
    except OSError:
        return None


async def test_the_watchdog_is_fed_only_while_http_answers(
    sim: SimulatedAsterisk, agi_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd gets WATCHDOG=1 after a real GET /health; with the listener full, none."""
    config = daemon_config(tmp_path, sim.port, agi_port, http={"max_connections_per_peer": 8})
    async with running_daemon(config) as daemon:
        await _watchdog_with_a_full_listener(daemon, tmp_path, monkeypatch)


async def _watchdog_with_a_full_listener(
    tight: Daemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.setblocking(False)
    monkeypatch.setitem(os.environ, "NOTIFY_SOCKET", path)
    monkeypatch.setitem(os.environ, "WATCHDOG_USEC", "200000")  # a ping every 0.1 s
    loop = asyncio.get_running_loop()
    probe = health_probe("127.0.0.1", port_of(tight))
    async with watchdog(probe):
        assert await loop.sock_recv(listener, 64) == b"READY=1"
        assert await loop.sock_recv(listener, 64) == b"WATCHDOG=1"
        held = [await asyncio.open_connection("127.0.0.1", port_of(tight)) for _ in range(8)]
        # the next probe is refused; then whatever was sent before is drained
        await tight.wait_for(lambda: _true(rejections(tight, "http_connections_per_peer")))
        while True:  # drain what was sent before the listener filled up
            try:
                listener.recv(64)
            except BlockingIOError:
                break
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.6):
                await loop.sock_recv(listener, 64)
        for _, writer in held:
            writer.close()
    listener.close()
