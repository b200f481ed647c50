"""The campaign domain: lists, campaigns, their dialer and the campaign IVR's FastAGI route.

The dialer starts after the AMI link: it reconciles attempts left by a previous process
and then dials as soon as the PBX is connected (until then its campaigns show as paused).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.calls.plugin import CallsPlugin
from cpaas_daemon.campaigns.attempts import AttemptPlacer
from cpaas_daemon.campaigns.dialer import CampaignDialer
from cpaas_daemon.campaigns.inflight import InFlight
from cpaas_daemon.campaigns.ivr import ROUTE, CampaignIvr
from cpaas_daemon.campaigns.lists import ListRepository
from cpaas_daemon.campaigns.progress import CampaignProgress
from cpaas_daemon.campaigns.prompts import Prompts
from cpaas_daemon.campaigns.repository import CampaignRepository
from cpaas_daemon.campaigns.service import CampaignService
from cpaas_daemon.campaigns.targets import TargetStore
from cpaas_daemon.campaigns.uploads import Uploads
from cpaas_daemon.cdr.plugin import CdrPlugin
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.pbx.plugin import PbxPlugin


@dataclass(frozen=True)
class CampaignsPlugin:
    service: CampaignService
    contexts: tuple[Context, ...]


def build(core: Core, calls: CallsPlugin, cdr: CdrPlugin, pbx: PbxPlugin) -> CampaignsPlugin:
    config, db = core.config, core.db
    campaigns, targets, inflight = CampaignRepository(db), TargetStore(db), InFlight()
    uploads = Uploads(config.campaigns.uploads_dir)
    prompts = Prompts(uploads, core.tts)
    placer = AttemptPlacer(targets, calls.originator, prompts, inflight)
    dialer = CampaignDialer(
        campaigns=campaigns,
        targets=targets,
        placer=placer,
        inflight=inflight,
        ami=pbx.pool,
        tracker=core.tracker,
        cdr=cdr.ingest,
        config=config.campaigns,
        dial=config.dial,
        cdr_grace=config.cdr.fallback_after,
        leases=pbx.leases,
        lease_seconds=config.cluster.lease_seconds,
    )
    core.metrics.leases_held.labels("campaign").set_function(lambda: len(dialer.owned()))
    service = CampaignService(
        lists=ListRepository(db),
        campaigns=campaigns,
        dialer=dialer,
        uploads=uploads,
        prompts=prompts,
        progress=CampaignProgress(db),
    )
    core.agi.route(ROUTE, CampaignIvr(db))
    return CampaignsPlugin(service=service, contexts=(running(dialer),))
