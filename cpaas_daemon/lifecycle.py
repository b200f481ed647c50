"""What a plugin hands the composition root besides its services: lifecycle contexts.

A context is an aiohttp ``cleanup_ctx`` entry: the code before its ``yield`` starts a
component, the code after stops it, and aiohttp stops them in reverse order of start, so
no task outlives the thing it uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

from aiohttp import web

Context = Callable[[web.Application], AsyncIterator[None]]


class Service(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def running(service: Service) -> Context:
    """A context that starts ``service`` and stops it on shutdown."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        await service.start()
        yield
        await service.stop()

    return ctx
