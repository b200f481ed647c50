"""Application factory: one aiohttp app owning every long-lived component.

Components start in dependency order through ``cleanup_ctx`` (store -> simulated PBX ->
AMI -> ...) and stop in reverse, so no task outlives the thing it uses.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.accounts.limits import AuthThrottle, CallLimiter
from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.agi.server import FastAgiServer
from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
from cpaas_daemon.api.context import context_middleware
from cpaas_daemon.api.errors import error_middleware
from cpaas_daemon.api.routes import setup_routes
from cpaas_daemon.callbacks.service import CallbackService
from cpaas_daemon.calls.dids import DidRepository
from cpaas_daemon.calls.inbound import InboundHook
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.originator import Originator
from cpaas_daemon.calls.otp import OtpService
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.service import CallService
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.campaigns.wiring import setup_campaigns
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.cdr.queries import CdrQueries
from cpaas_daemon.config import Config
from cpaas_daemon.http_server import body_deadline
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.pbx.pool import PbxPool
from cpaas_daemon.pbx.wiring import build_pool
from cpaas_daemon.queue_log.wiring import setup_queue_log
from cpaas_daemon.recordings.files import RecordingFiles
from cpaas_daemon.recordings.retention import RecordingRetention
from cpaas_daemon.stats.access import StatsAccess
from cpaas_daemon.stats.agents import AgentDashboard
from cpaas_daemon.stats.ecounters import Ecounters
from cpaas_daemon.store.db import Database
from cpaas_daemon.transcripts.repository import TranscriptRepository
from cpaas_daemon.transcripts.service import TranscriptService
from cpaas_daemon.tts import TtsRenderer
from cpaas_daemon.wallboard.wiring import setup_wallboard, wallboard_ctx
from cpaas_daemon.webhooks.wiring import setup_webhooks

if TYPE_CHECKING:
    from cpaas_daemon.sim.server import SimulatedAsterisk

log = structlog.get_logger(__name__)


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    await app[keys.DB].open()
    yield
    await app[keys.DB].close()


async def _sim_ctx(app: web.Application) -> AsyncIterator[None]:
    """``--simulate``: the project's simulated Asterisk, in-process, on a free port."""
    sim = app.get(keys.SIM)
    if sim is None:
        yield
        return
    await sim.start()
    pbxes: PbxPool = app[keys.AMI]
    pbxes.first.client.set_endpoint("127.0.0.1", sim.port)
    log.info("sim.started", port=sim.port)
    yield
    await sim.stop()


class Service(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def running(key: web.AppKey[Any]) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup_ctx entry that starts ``app[key]`` and stops it on shutdown."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        service: Service = app[key]
        await service.start()
        yield
        await service.stop()

    return ctx


async def _tts_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[keys.TTS].aclose()  # in-flight renders end with the app


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


def create_app(config: Config) -> web.Application:
    """Build every component (not yet started); ``cleanup_ctx`` starts them in order."""
    app = web.Application(middlewares=[context_middleware, error_middleware, body_deadline])
    app[keys.CONFIG] = config
    app[keys.METRICS] = metrics = Metrics()
    app[keys.BUS] = bus = EventBus()
    app[keys.DB] = db = Database(config.store.path)
    app[keys.ACCOUNTS] = accounts = AccountRepository(db)
    app[keys.AUTH_THROTTLE] = AuthThrottle(config.limits, metrics)
    app[keys.TRACKER] = tracker = CallTracker(bus, metrics)
    app[keys.CALL_LIMITER] = CallLimiter(accounts, tracker, config.limits, metrics)
    agi_secret = config.agi.secret or secrets.token_urlsafe(24)
    app[keys.CDR_INGEST] = cdr = CdrIngest(
        db, bus, metrics, ZoneInfo(config.ami.pbx_timezone), config.cdr.fallback_after
    )
    app[keys.AMI] = pbxes = build_pool(
        config, bus=bus, metrics=metrics, db=db, cdr=cdr, tracker=tracker, agi_secret=agi_secret
    )
    app[keys.CALL_REPO] = calls = CallRepository(db)
    app[keys.ORIGINATOR] = originator = Originator(pbxes, calls, tracker, config.dial, metrics)
    app[keys.CALLS] = CallService(pbxes, originator, calls, tracker, config.dial)
    app[keys.CALLBACKS] = callbacks = CallbackService(db, app[keys.CALLS], config.callbacks)
    cdr.on_summary(callbacks.on_cdr_summary, CallKind.CALLBACK)
    app[keys.CDR_QUERIES] = CdrQueries(db)
    app[keys.TRANSCRIPTS] = transcripts = TranscriptService(
        TranscriptRepository(db), config.transcripts, config.dial.recordings_dir, metrics
    )
    cdr.on_summary(transcripts.on_cdr_summary, CallKind.C2C)
    app[keys.RECORDINGS] = RecordingFiles(calls, tracker, config.dial.recordings_dir)
    app[keys.RECORDING_RETENTION] = RecordingRetention(db, tracker, config.dial)
    app[keys.AGI] = agi = FastAgiServer(config.agi, metrics, agi_secret, tracker.seen)
    app[keys.DIDS] = dids = DidRepository(db)
    app[keys.INBOUND] = inbound = InboundHook(dids, calls, tracker)
    agi.route("inbound", inbound)
    app[keys.TTS] = tts = TtsRenderer.from_config(config.tts)
    app[keys.ANNOUNCEMENTS] = templates = AnnounceTemplateRepository(db)
    app[keys.OTP] = OtpService(originator, templates, tts)
    app[keys.STATS_ACCESS] = StatsAccess(db)
    app[keys.AGENT_DASHBOARD] = agents = AgentDashboard(db, ZoneInfo(config.ami.pbx_timezone))
    app[keys.ECOUNTERS] = Ecounters(db, tracker, agents)
    setup_campaigns(app)  # after AGI, TTS, originator and CDR ingest
    setup_webhooks(app)  # after the tracker and CDR ingest it hooks into
    if config.simulate:
        app[keys.SIM] = _simulator(config)
    app.cleanup_ctx.extend(
        [
            _store_ctx,
            running(keys.WEBHOOK_WORKER),  # after the store, before anything that emits
            running(keys.CDR_INGEST),
            running(keys.TRANSCRIPTS),  # after the store and CDR ingest: resumes its queue
            running(keys.AGI),
            _tts_ctx,
            _sim_ctx,
            running(keys.AMI),  # each PBX: Master.csv caught up, AMI, queue_log
            running(keys.CALLBACKS),  # after AMI: a due callback dials at once
            running(keys.CAMPAIGN_DIALER),  # after AMI and CDR ingest: reconciles, dials
            running(keys.RECORDING_RETENTION),  # after AMI: a live call's file is kept
        ]
    )
    setup_queue_log(app, config, db, pbxes)
    setup_wallboard(app)  # after the queue stats service it reads
    app.cleanup_ctx.append(wallboard_ctx)
    setup_routes(app)
    return app
