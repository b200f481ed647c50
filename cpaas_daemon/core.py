"""The shared dependencies every domain plugin is built from (wazo-calld's
``PluginDependencies``, typed): configuration, metrics, the store, the AMI link and its
event bus, the live-call tracker, the FastAGI server, TTS, and the account checks.

:func:`build` makes them (nothing started). Its ``contexts`` start the store, FastAGI,
TTS and, under ``--simulate``, the simulated PBX; ``link`` connects AMI and is started
by the composition root only once the domains that consume AMI events are running.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from cpaas_daemon.accounts.limits import AuthThrottle, CallLimiter
from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.agi.server import FastAgiServer
from cpaas_daemon.ami import actions
from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.config import Config
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.factory import database_for
from cpaas_daemon.tts import TtsRenderer

if TYPE_CHECKING:
    from cpaas_daemon.sim.server import SimulatedAsterisk

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Core:
    config: Config
    metrics: Metrics
    bus: EventBus
    db: Database
    accounts: AccountRepository
    auth_throttle: AuthThrottle
    ami: AmiClient
    tracker: CallTracker
    call_limiter: CallLimiter
    agi: FastAgiServer
    tts: TtsRenderer
    contexts: tuple[Context, ...]
    link: Context


def build(config: Config) -> Core:
    metrics, bus, db = Metrics(), EventBus(), database_for(config.store)
    accounts = AccountRepository(db)
    ami = AmiClient(config.ami, bus, metrics)
    tracker = CallTracker(bus, metrics)
    ami.on_login(_resync_tracker(ami, tracker))
    agi_secret = config.agi.secret or secrets.token_urlsafe(24)
    ami.on_login(_announce_globals(ami, config, agi_secret))
    agi = FastAgiServer(config.agi, metrics, agi_secret, tracker.seen)
    tts = TtsRenderer.from_config(config.tts)
    sim = _simulator(config) if config.simulate else None
    return Core(
        config=config,
        metrics=metrics,
        bus=bus,
        db=db,
        accounts=accounts,
        auth_throttle=AuthThrottle(config.limits, metrics),
        ami=ami,
        tracker=tracker,
        call_limiter=CallLimiter(accounts, tracker, config.limits, metrics),
        agi=agi,
        tts=tts,
        contexts=(
            _store_ctx(db),
            running(agi),
            _tts_ctx(tts),
            *([_sim_ctx(sim, ami)] if sim is not None else []),
        ),
        link=running(ami),
    )


def _store_ctx(db: Database) -> Context:
    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        await db.open()
        yield
        await db.close()

    return ctx


def _tts_ctx(tts: TtsRenderer) -> Context:
    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        yield
        await tts.aclose()  # in-flight renders end with the app

    return ctx


def _sim_ctx(sim: SimulatedAsterisk, ami: AmiClient) -> Context:
    """``--simulate``: the project's simulated Asterisk, in-process, on a free port."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        await sim.start()
        ami.set_endpoint("127.0.0.1", sim.port)
        log.info("sim.started", port=sim.port)
        yield
        await sim.stop()

    return ctx


def _resync_tracker(ami: AmiClient, tracker: CallTracker) -> Callable[[], Awaitable[None]]:
    """After each login, live state is rebuilt from CoreShowChannels: events that happened
    while we were disconnected are gone, the channel list is not."""

    async def resync() -> None:
        tracker.reset(await ami.send_list(actions.core_show_channels()))

    return resync


def dialplan_globals(config: Config, agi_secret: str) -> dict[str, str]:
    """What ``extensions_cpaas.conf`` reads from the daemon instead of from hand edits:
    where its FastAGI server is, the secret that proves a session comes from this
    Asterisk, and how a transfer target becomes a channel."""
    return {
        "CPAAS_AGI": config.agi.url,
        "CPAAS_AGI_SECRET": agi_secret,
        "CPAAS_OUTBOUND_TEMPLATE": config.dial.outbound_template,
        "CPAAS_EXTENSION_TEMPLATE": config.dial.extension_template,
    }


def _announce_globals(
    ami: AmiClient, config: Config, agi_secret: str
) -> Callable[[], Awaitable[None]]:
    """After each login, set the dialplan's globals (:func:`dialplan_globals`): a restarted
    Asterisk has forgotten them. A ``dialplan reload`` keeps them (the shipped
    ``[globals]`` does not define them)."""

    async def announce() -> None:
        await asyncio.gather(
            *(
                ami.send(actions.set_global(name, value))
                for name, value in dialplan_globals(config, agi_secret).items()
            )
        )

    return announce


def _simulator(config: Config) -> SimulatedAsterisk:
    """The embedded PBX of ``--simulate``, imported only then: production never loads it."""
    from cpaas_daemon.sim.server import SimConfig, SimulatedAsterisk  # noqa: PLC0415

    config.sim.queue_log_path.parent.mkdir(parents=True, exist_ok=True)
    return SimulatedAsterisk(
        SimConfig(
            username=config.ami.username,
            secret=config.ami.secret,
            time_scale=config.sim.time_scale,
            queue_log_path=config.sim.queue_log_path,
            cdr_csv_path=config.sim.cdr_csv_path,
        )
    )
