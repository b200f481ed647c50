"""The CDR domain: the ingest of Asterisk's CDRs (AMI, and the CSV file when there is
one), and the queries the APIs answer from."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cpaas_daemon.cdr.csv_backfill import CdrCsvBackfill
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.cdr.queries import CdrQueries
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running


@dataclass(frozen=True)
class CdrPlugin:
    ingest: CdrIngest
    queries: CdrQueries
    csv: CdrCsvBackfill | None
    contexts: tuple[Context, ...]


def build(core: Core) -> CdrPlugin:
    """The CSV catch-up starts with the ingest, before callbacks and campaigns reconcile
    with the CDRs it recovers."""
    config = core.config
    ingest = CdrIngest(
        core.db,
        core.bus,
        core.metrics,
        ZoneInfo(config.ami.pbx_timezone),
        config.cdr.fallback_after,
    )
    csv_path = config.cdr.csv_path or (config.sim.cdr_csv_path if config.simulate else None)
    csv = (
        CdrCsvBackfill(csv_path, core.db, ingest, config.cdr.poll_interval)
        if csv_path is not None
        else None
    )
    return CdrPlugin(
        ingest=ingest,
        queries=CdrQueries(core.db),
        csv=csv,
        contexts=(running(ingest), *([running(csv)] if csv is not None else [])),
    )
