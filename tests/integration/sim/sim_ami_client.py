"""A deliberately plain asyncio AMI client for the simulator tests (no panoramisk), so the
tests see exactly the bytes on the wire."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

Frame = list[tuple[str, str]]


def parse(raw: bytes) -> Frame:
    """Frame bytes (without the closing blank line) → ordered (key, value) pairs."""
    pairs: Frame = []
    for line in raw.decode("latin-1").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep or line.endswith(":"):
            pairs.append((key.rstrip(":"), value))
    return pairs


def get(frame: Frame, key: str) -> str:
    """First value of ``key`` ('' when absent)."""
    return next((v for k, v in frame if k == key), "")


@dataclass
class AmiClient:
    """Collects every frame; ``wait_for`` awaits one matching a predicate."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    banner: bytes = b""
    frames: list[Frame] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    eof: asyncio.Event = field(default_factory=asyncio.Event)
    _new: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, port: int) -> AmiClient:
        """Open the connection and read the banner line."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        client.banner = await reader.readline()
        client._task = asyncio.get_running_loop().create_task(client._read())
        return client

    async def _read(self) -> None:
        try:
            while True:
                data = await self.reader.readuntil(b"\r\n\r\n")
                self.raw.append(data)
                self.frames.append(parse(data[:-4]))
                self._new.set()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.eof.set()
            self._new.set()

    def send_raw(self, data: bytes) -> None:
        """Write an already framed action."""
        self.writer.write(data)

    def send(self, *pairs: tuple[str, str]) -> None:
        """Frame and write one action."""
        self.send_raw("".join(f"{k}: {v}\r\n" for k, v in pairs).encode() + b"\r\n")

    async def wait_for(self, predicate: Callable[[Frame], bool], within: float = 10.0) -> Frame:
        """The first frame (already received or future) matching ``predicate``."""
        async with asyncio.timeout(within):
            seen = 0
            while True:
                for frame in self.frames[seen:]:
                    if predicate(frame):
                        return frame
                seen = len(self.frames)
                if self.eof.is_set():
                    raise EOFError("connection closed before the expected frame")
                self._new.clear()
                await self._new.wait()

    async def login(self, secret: str = "cpaas-secret") -> Frame:
        """Login and return the response."""
        self.send(
            ("Action", "Login"), ("ActionID", "login"), ("Username", "cpaas"), ("Secret", secret)
        )
        return await self.wait_for(lambda f: get(f, "ActionID") == "login")

    async def close(self) -> None:
        """Close our side and stop reading."""
        self.writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
