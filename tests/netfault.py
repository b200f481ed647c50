"""A TCP proxy that can cut the link at a chosen moment: a network fault on demand.

It sits between the daemon and the simulated Asterisk, forwards bytes both ways, and
drops the connection right after it forwarded a client frame matching ``cut_after``
(the action reaches Asterisk, its response never comes back), or, with ``blackhole``,
silently stops delivering anything while the sockets stay open (a dead peer).
"""

from __future__ import annotations

import asyncio
import contextlib


class FaultyLink:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.cut_after: bytes | None = None
        self.cuts = 0
        self.blackhole = False  # swallow bytes both ways, keep the sockets open (dead peer)
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self.connections += 1
        cut = asyncio.Event()
        down = asyncio.create_task(self._pipe(up_reader, writer, cut, watch=False))
        up = asyncio.create_task(self._pipe(reader, up_writer, cut, watch=True))
        self._tasks.update({down, up})
        await cut.wait()
        for task in (down, up):
            task.cancel()
        for w in (writer, up_writer):
            w.transport.abort()
        self._tasks.difference_update({down, up})

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        cut: asyncio.Event,
        watch: bool,
    ) -> None:
        try:
            while data := await reader.read(65536):
                if self.blackhole:
                    continue
                writer.write(data)
                await writer.drain()
                if watch and self.cut_after is not None and self.cut_after in data:
                    self.cut_after = None
                    self.cuts += 1
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            cut.set()
