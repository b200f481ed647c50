"""The shared dependencies every domain plugin is built from (wazo-calld's
``PluginDependencies``, typed): configuration, metrics, the store, the event bus every
PBX's AMI client publishes on, the live-call tracker, the FastAGI server, TTS, and the
account checks.

:func:`build` makes them (nothing started). Its ``contexts`` start the store, FastAGI
and TTS. The PBXs themselves (their AMI links and the files they write) are the ``pbx``
plugin (:mod:`cpaas_daemon.pbx.plugin`): their Master.csv readers need the CDR ingest.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from cpaas_daemon.accounts.limits import AuthThrottle, CallLimiter
from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.agi.server import FastAgiServer
from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.config import Config
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.factory import database_for
from cpaas_daemon.tts import TtsRenderer


@dataclass(frozen=True)
class Core:
    config: Config
    metrics: Metrics
    bus: EventBus
    db: Database
    accounts: AccountRepository
    auth_throttle: AuthThrottle
    tracker: CallTracker
    call_limiter: CallLimiter
    agi: FastAgiServer
    tts: TtsRenderer
    agi_secret: str = field(repr=False)
    """Proves a FastAGI session comes from one of our PBXs (set in each one's globals)."""
    contexts: tuple[Context, ...]


def build(config: Config) -> Core:
    metrics, bus, db = Metrics(), EventBus(), database_for(config.store)
    accounts = AccountRepository(db)
    tracker = CallTracker(bus, metrics)
    agi_secret = config.agi.secret or secrets.token_urlsafe(24)
    agi = FastAgiServer(config.agi, metrics, agi_secret, tracker.seen)
    tts = TtsRenderer.from_config(config.tts)
    return Core(
        config=config,
        metrics=metrics,
        bus=bus,
        db=db,
        accounts=accounts,
        auth_throttle=AuthThrottle(config.limits, metrics),
        tracker=tracker,
        call_limiter=CallLimiter(accounts, tracker, config.limits, metrics),
        agi=agi,
        tts=tts,
        agi_secret=agi_secret,
        contexts=(_store_ctx(db), running(agi), _tts_ctx(tts)),
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
