"""The CDR domain: the ingest of Asterisk's CDRs, and the queries the APIs answer from.

Each PBX's Master.csv reader feeds this ingest and is started with its PBX
(:mod:`cpaas_daemon.pbx.plugin`)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.cdr.queries import CdrQueries
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running


@dataclass(frozen=True)
class CdrPlugin:
    ingest: CdrIngest
    queries: CdrQueries
    contexts: tuple[Context, ...]


def build(core: Core) -> CdrPlugin:
    config = core.config
    ingest = CdrIngest(
        core.db,
        core.bus,
        core.metrics,
        ZoneInfo(config.ami.pbx_timezone),
        config.cdr.fallback_after,
        zones={pbx_id: ZoneInfo(name) for pbx_id, name in config.pbx_zones().items()},
    )
    return CdrPlugin(ingest=ingest, queries=CdrQueries(core.db), contexts=(running(ingest),))
