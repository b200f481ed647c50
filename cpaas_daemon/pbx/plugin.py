"""The PBX plugin: the PBXs of the configuration (:meth:`Config.pbxes`), what each does
after logging in (resynchronise its live channels, set the globals its dialplan reads),
and under ``--simulate`` the simulated PBX the first one connects to.

Each :class:`Pbx` owns the readers of the files it writes (Master.csv, queue_log), so the
plugin is built from the core and the CDR plugin whose ingest its CSV readers feed.

Each PBX runs only while this node holds its lease (:class:`PbxOwnership`); the lease
repository is this plugin's, for the other domains that hold leases (campaigns).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from cpaas_daemon.ami import actions
from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.cdr.csv_backfill import CdrCsvBackfill
from cpaas_daemon.cdr.lost_calls import LostCalls
from cpaas_daemon.cdr.plugin import CdrPlugin
from cpaas_daemon.cluster.leases import LeaseRepository
from cpaas_daemon.config import Config
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.pbx.ownership import PbxOwnership
from cpaas_daemon.pbx.pool import Pbx, PbxPool
from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer

if TYPE_CHECKING:
    from cpaas_daemon.sim.server import SimulatedAsterisk

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PbxPlugin:
    pool: PbxPool
    ownership: PbxOwnership
    leases: LeaseRepository
    lost: LostCalls
    contexts: tuple[Context, ...]
    """The simulator (``--simulate``), then every PBX this node holds the lease of: its
    Master.csv caught up, its AMI link, its queue_log tailer. Started once the domains
    that consume AMI events run."""


def build(core: Core, cdr: CdrPlugin) -> PbxPlugin:
    config = core.config
    leases = LeaseRepository(core.db, config.cluster.node_id, config.api_url())
    pbxes = _build_pbxes(core, cdr)
    ownership = PbxOwnership(pbxes, leases, config.cluster.lease_seconds)
    pool = PbxPool(pbxes, core.tracker.load, ownership.lease)
    for keeper in (ownership.node, ownership.pbx):
        core.metrics.leases_held.labels(keeper.kind).set_function(_count(keeper.held))
    lost = LostCalls(
        CallRepository(core.db),
        cdr.ingest,
        core.tracker,
        core.bus,
        bound=config.dial.originate_timeout_ms / 1000 + config.cdr.fallback_after,
        lease=ownership.lease,
    )
    pool.on_login(_resync_tracker(core.tracker))
    pool.on_login(_lost_calls(lost))
    pool.on_login(_announce_globals(config, core.agi_secret))
    sim = _simulator(config) if config.simulate else None
    return PbxPlugin(
        pool=pool,
        ownership=ownership,
        leases=leases,
        lost=lost,
        contexts=(
            *([_sim_ctx(sim, pool)] if sim is not None else []),
            running(lost),
            running(ownership),
        ),
    )


def _count(held: Callable[[], list[str]]) -> Callable[[], float]:
    return lambda: len(held())


def _build_pbxes(core: Core, cdr: CdrPlugin) -> list[Pbx]:
    """One :class:`Pbx` per configured PBX, all publishing on the core's bus."""
    config, db, bus, metrics = core.config, core.db, core.bus, core.metrics
    pbxes = []
    for pbx in config.pbxes():
        csv, queue_log = pbx.cdr_csv_path, pbx.queue_log_path
        pbxes.append(
            Pbx(
                config=pbx,
                client=AmiClient(pbx.ami, bus, metrics, pbx.id),
                outbound_template=pbx.outbound_template or config.dial.outbound_template,
                extension_template=pbx.extension_template or config.dial.extension_template,
                cdr_csv=None
                if csv is None
                else CdrCsvBackfill(csv, db, cdr.ingest, config.cdr.poll_interval, pbx.id),
                queue_log=None
                if queue_log is None
                else QueueLogTailer(
                    queue_log, QueueLogRepository(db, pbx.id), config.queue_log.poll_interval
                ),
            )
        )
    return pbxes


def _resync_tracker(tracker: CallTracker) -> Callable[[Pbx], Awaitable[None]]:
    """After each login, the PBX's live channels are rebuilt from CoreShowChannels: events
    that happened while we were disconnected are gone, the channel list is not."""

    async def resync(pbx: Pbx) -> None:
        tracker.reset(await pbx.client.send_list(actions.core_show_channels()), pbx.id)

    return resync


def _lost_calls(lost: LostCalls) -> Callable[[Pbx], Awaitable[None]]:
    """After each login, after the live channels are rebuilt and before the PBX takes new
    calls: the calls placed on it whose end nobody heard get their CDR once it is sure
    they were not answered (:mod:`cpaas_daemon.cdr.lost_calls`)."""

    async def note(pbx: Pbx) -> None:
        await lost.logged_in(pbx.id, pbx.cdr_csv)

    return note


def dialplan_globals(config: Config, agi_secret: str, pbx: Pbx) -> dict[str, str]:
    """What ``extensions_cpaas.conf`` reads from the daemon instead of from hand edits:
    where its FastAGI server is, the secret that proves a session comes from one of our
    Asterisks, which PBX it is, and how a transfer target becomes one of its channels."""
    return {
        "CPAAS_AGI": config.agi.url,
        "CPAAS_AGI_SECRET": agi_secret,
        "CPAAS_PBX_ID": pbx.id,
        "CPAAS_OUTBOUND_TEMPLATE": pbx.outbound_template,
        "CPAAS_EXTENSION_TEMPLATE": pbx.extension_template,
    }


def _announce_globals(config: Config, agi_secret: str) -> Callable[[Pbx], Awaitable[None]]:
    """After each login, set the dialplan's globals (:func:`dialplan_globals`): a restarted
    Asterisk has forgotten them. A ``dialplan reload`` keeps them (the shipped
    ``[globals]`` does not define them)."""

    async def announce(pbx: Pbx) -> None:
        await asyncio.gather(
            *(
                pbx.client.send(actions.set_global(name, value))
                for name, value in dialplan_globals(config, agi_secret, pbx).items()
            )
        )

    return announce


def _sim_ctx(sim: SimulatedAsterisk, pool: PbxPool) -> Context:
    """``--simulate``: the project's simulated Asterisk, in-process, on a free port; the
    first PBX connects to it."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        await sim.start()
        pool.first.client.set_endpoint("127.0.0.1", sim.port)
        log.info("sim.started", port=sim.port)
        yield
        await sim.stop()

    return ctx


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
