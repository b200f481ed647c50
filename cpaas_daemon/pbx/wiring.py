"""Build the PBXs of the configuration (:meth:`Config.pbxes`) and what each does after
logging in: resynchronise its live channels and set the globals its dialplan reads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cpaas_daemon.ami import actions
from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.cdr.csv_backfill import CdrCsvBackfill
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.config import Config
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.pbx.pool import Pbx, PbxPool
from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.store.db import Database


def build_pool(
    config: Config,
    *,
    bus: EventBus,
    metrics: Metrics,
    db: Database,
    cdr: CdrIngest,
    tracker: CallTracker,
    agi_secret: str,
) -> PbxPool:
    """One :class:`Pbx` per configured PBX, all publishing on ``bus``; the pool places
    calls by the tracker's count of each PBX's calls."""
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
                else CdrCsvBackfill(csv, db, cdr, config.cdr.poll_interval, pbx.id),
                queue_log=None
                if queue_log is None
                else QueueLogTailer(
                    queue_log, QueueLogRepository(db, pbx.id), config.queue_log.poll_interval
                ),
            )
        )
    pool = PbxPool(pbxes, tracker.load)
    pool.on_login(_resync_tracker(tracker))
    pool.on_login(_announce_globals(config, agi_secret))
    return pool


def _resync_tracker(tracker: CallTracker) -> Callable[[Pbx], Awaitable[None]]:
    """After each login, the PBX's live channels are rebuilt from CoreShowChannels: events
    that happened while we were disconnected are gone, the channel list is not."""

    async def resync(pbx: Pbx) -> None:
        tracker.reset(await pbx.client.send_list(actions.core_show_channels()), pbx.id)

    return resync


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
