"""How the campaign domain plugs into the app, so ``create_app`` needs two lines.

The dialer is started by ``running(keys.CAMPAIGN_DIALER)`` after the AMI client: it
reconciles attempts left by a previous process and then dials as soon as the PBX is
connected (until then its campaigns show as paused).
"""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.api.isales import FlowControl
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


def setup_campaigns(app: web.Application) -> None:
    """Needs DB, AMI, TRACKER, ORIGINATOR, CDR_INGEST, AGI and TTS to be set already."""
    config, db = app[keys.CONFIG], app[keys.DB]
    campaigns, targets, inflight = CampaignRepository(db), TargetStore(db), InFlight()
    uploads = Uploads(config.campaigns.uploads_dir)
    prompts = Prompts(uploads, app[keys.TTS])
    placer = AttemptPlacer(targets, app[keys.ORIGINATOR], prompts, inflight)
    app[keys.CAMPAIGN_DIALER] = dialer = CampaignDialer(
        campaigns=campaigns,
        targets=targets,
        placer=placer,
        inflight=inflight,
        ami=app[keys.AMI],
        tracker=app[keys.TRACKER],
        cdr=app[keys.CDR_INGEST],
        config=config.campaigns,
        dial=config.dial,
    )
    app[keys.CAMPAIGNS] = CampaignService(
        lists=ListRepository(db),
        campaigns=campaigns,
        dialer=dialer,
        uploads=uploads,
        prompts=prompts,
        progress=CampaignProgress(db),
    )
    app[keys.ISALES_FLOW] = FlowControl()
    app[keys.AGI].route(ROUTE, CampaignIvr(db))
