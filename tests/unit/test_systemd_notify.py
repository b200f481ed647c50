"""sd_notify: READY=1 reaches systemd's socket; nothing happens outside systemd."""

from __future__ import annotations

import socket
from pathlib import Path

from cpaas_daemon.systemd_notify import notify


def test_ready_reaches_the_notify_socket(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        assert notify("READY=1", {"NOTIFY_SOCKET": str(path)}) is True
        assert server.recv(64) == b"READY=1"


def test_outside_systemd_it_does_nothing() -> None:
    assert notify("READY=1", {}) is False
