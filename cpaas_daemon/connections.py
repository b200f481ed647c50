"""Connection caps for the daemon's listening sockets (HTTP and FastAGI), issue 10.3.

Every open connection holds a file descriptor; a peer that opens a thousand and keeps
them quiet used to exhaust the process's descriptors, after which no client at all
could connect. :class:`ConnectionGuard` refuses (closes at once) a connection past the
total or the per-peer cap, counts it in ``cpaas_limit_rejections_total``, and leaves
every other connection alone. Deadlines (header, body, handshake) are the servers' own.
"""

from __future__ import annotations

import asyncio
import resource
from collections import Counter
from typing import Any, cast

import structlog

from cpaas_daemon.metrics import Metrics

log = structlog.get_logger(__name__)

FD_RESERVE = 256  # descriptors kept for SQLite, AMI, log files, TTS children


def descriptor_budget() -> int:
    """How many connections the process can hold at all: its soft RLIMIT_NOFILE less a
    reserve. ``LimitNOFILE`` in the systemd unit raises it."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(64, soft - FD_RESERVE) if soft != resource.RLIM_INFINITY else 1 << 20


class ConnectionGuard:
    def __init__(self, name: str, total: int, per_peer: int, metrics: Metrics) -> None:
        self.name = name
        self.total = min(total, descriptor_budget())
        self.per_peer = min(per_peer, self.total)
        self._metrics = metrics
        self._open = 0
        self._by_peer: Counter[str] = Counter()

    def admit(self, peer: str) -> bool:
        """Take a slot for ``peer``, or count the refusal and return False."""
        if self._open >= self.total:
            self._refused(f"{self.name}_connections", peer)
            return False
        if self._by_peer[peer] >= self.per_peer:
            self._refused(f"{self.name}_connections_per_peer", peer)
            return False
        self._open += 1
        self._by_peer[peer] += 1
        return True

    def release(self, peer: str) -> None:
        self._open -= 1
        self._by_peer[peer] -= 1
        if self._by_peer[peer] <= 0:
            del self._by_peer[peer]

    def _refused(self, limit: str, peer: str) -> None:
        self._metrics.limit_rejections.labels(limit).inc()
        log.warning("connection.refused", limit=limit, peer=peer)

    def wrap(self, inner: asyncio.Protocol) -> asyncio.Protocol:
        """A protocol that admits the connection before ``inner`` ever sees it."""
        return _Guarded(self, inner)


def peer_of(transport: asyncio.BaseTransport) -> str:
    address: Any = transport.get_extra_info("peername")
    return str(address[0]) if isinstance(address, tuple) else str(address)


class _Guarded(asyncio.Protocol):
    """Delegates to the server's own protocol (aiohttp's RequestHandler) once admitted."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner: asyncio.Protocol | None = inner
        self._peer = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._peer = peer_of(transport)
        if not self._guard.admit(self._peer):
            self._inner = None
            cast(asyncio.Transport, transport).abort()  # RST now: the descriptor is free
            return
        assert self._inner is not None
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._guard.release(self._peer)
            self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()
