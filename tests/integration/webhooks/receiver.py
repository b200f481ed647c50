"""A real HTTP receiver on loopback standing in for a CRM, and an independent check of
the Standard Webhooks signature (plain hmac/hashlib, nothing from the daemon)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.harness import free_port

# path -> what to answer: an int status, or a callable(request count) -> status
Behaviour = int | Callable[[int], int]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.raw)


@dataclass
class Receiver:
    port: int
    answers: dict[str, Behaviour] = field(default_factory=dict)
    delays: dict[str, float | Callable[[int], float]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    active: Counter[str] = field(default_factory=Counter)  # requests open now, per path
    peak: Counter[str] = field(default_factory=Counter)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        seen = len(self.at(request.path))
        async with self.changed:
            self.received.append(
                Received(request.path, dict(request.headers), raw, time.monotonic())
            )
            self.changed.notify_all()
        self.active[request.path] += 1
        self.peak[request.path] = max(self.peak[request.path], self.active[request.path])
        try:
            delay = self.delays.get(request.path, 0.0)
            await asyncio.sleep(delay(seen) if callable(delay) else delay)
        finally:
            self.active[request.path] -= 1
        answer = self.answers.get(request.path, 200)
        status = answer(seen) if callable(answer) else answer
        headers = {"Location": self.url("/followed")} if 300 <= status < 400 else {}
        if status == 503:
            headers["Retry-After"] = "1"
        return web.Response(status=status, headers=headers)

    async def wait(self, probe: Callable[[], Any], within: float = 15.0) -> Any:
        """Until ``probe()`` is truthy; woken by each request, not by polling."""
        async with asyncio.timeout(within), self.changed:
            while not (result := probe()):
                await self.changed.wait()
            return result


@asynccontextmanager
async def running_receiver(port: int | None = None) -> AsyncIterator[Receiver]:
    receiver = Receiver(port or free_port())
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
    try:
        yield receiver
    finally:
        await runner.cleanup()


def verify(secret: str, headers: dict[str, str], raw: bytes, tolerance: int = 300) -> bool:
    """What a CRM runs: recompute HMAC-SHA256 over id.timestamp.body with the decoded
    secret; accept any ``v1,`` entry; refuse a stale timestamp (replay)."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    return any(
        hmac.compare_digest(part.removeprefix("v1,"), expected)
        for part in headers["webhook-signature"].split()
        if part.startswith("v1,")
    )
