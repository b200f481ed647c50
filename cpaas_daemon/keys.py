"""Every ``web.AppKey`` the daemon uses, in one place so that types are checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from cpaas_daemon.accounts.limits import AuthThrottle, CallLimiter
    from cpaas_daemon.accounts.repository import AccountRepository
    from cpaas_daemon.agi.server import FastAgiServer
    from cpaas_daemon.ami.bus import EventBus
    from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
    from cpaas_daemon.api.isales import FlowControl
    from cpaas_daemon.callbacks.service import CallbackService
    from cpaas_daemon.calls.dids import DidRepository
    from cpaas_daemon.calls.inbound import InboundHook
    from cpaas_daemon.calls.originator import Originator
    from cpaas_daemon.calls.otp import OtpService
    from cpaas_daemon.calls.repository import CallRepository
    from cpaas_daemon.calls.service import CallService
    from cpaas_daemon.calls.tracker import CallTracker
    from cpaas_daemon.campaigns.dialer import CampaignDialer
    from cpaas_daemon.campaigns.service import CampaignService
    from cpaas_daemon.cdr.ingest import CdrIngest
    from cpaas_daemon.cdr.queries import CdrQueries
    from cpaas_daemon.config import Config
    from cpaas_daemon.metrics import Metrics
    from cpaas_daemon.pbx.pool import PbxPool
    from cpaas_daemon.queue_log.service import QueueStats
    from cpaas_daemon.recordings.files import RecordingFiles
    from cpaas_daemon.recordings.retention import RecordingRetention
    from cpaas_daemon.sim.server import SimulatedAsterisk
    from cpaas_daemon.stats.access import StatsAccess
    from cpaas_daemon.stats.agents import AgentDashboard
    from cpaas_daemon.stats.ecounters import Ecounters
    from cpaas_daemon.store.db import Database
    from cpaas_daemon.transcripts.service import TranscriptService
    from cpaas_daemon.tts.renderer import TtsRenderer
    from cpaas_daemon.wallboard.hub import WallboardHub
    from cpaas_daemon.webhooks.repository import WebhookRepository
    from cpaas_daemon.webhooks.worker import DeliveryWorker

CONFIG: web.AppKey[Config] = web.AppKey("config")
DB: web.AppKey[Database] = web.AppKey("db")
ACCOUNTS: web.AppKey[AccountRepository] = web.AppKey("accounts")
CALL_LIMITER: web.AppKey[CallLimiter] = web.AppKey("call_limiter")
AUTH_THROTTLE: web.AppKey[AuthThrottle] = web.AppKey("auth_throttle")
AMI: web.AppKey[PbxPool] = web.AppKey("ami")
"""Every PBX (:mod:`cpaas_daemon.pbx`); one without ``[[pbx]]``."""
BUS: web.AppKey[EventBus] = web.AppKey("bus")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
SIM: web.AppKey[SimulatedAsterisk] = web.AppKey("sim")
CALL_REPO: web.AppKey[CallRepository] = web.AppKey("call_repo")
TRACKER: web.AppKey[CallTracker] = web.AppKey("tracker")
ORIGINATOR: web.AppKey[Originator] = web.AppKey("originator")
CALLS: web.AppKey[CallService] = web.AppKey("calls")
CDR_INGEST: web.AppKey[CdrIngest] = web.AppKey("cdr_ingest")
CDR_QUERIES: web.AppKey[CdrQueries] = web.AppKey("cdr_queries")
TTS: web.AppKey[TtsRenderer] = web.AppKey("tts")
AGI: web.AppKey[FastAgiServer] = web.AppKey("agi")
INBOUND: web.AppKey[InboundHook] = web.AppKey("inbound")
QUEUE_STATS: web.AppKey[QueueStats] = web.AppKey("queue_stats")
OTP: web.AppKey[OtpService] = web.AppKey("otp")
ANNOUNCEMENTS: web.AppKey[AnnounceTemplateRepository] = web.AppKey("announcements")
CALLBACKS: web.AppKey[CallbackService] = web.AppKey("callbacks")
STATS_ACCESS: web.AppKey[StatsAccess] = web.AppKey("stats_access")
ECOUNTERS: web.AppKey[Ecounters] = web.AppKey("ecounters")
AGENT_DASHBOARD: web.AppKey[AgentDashboard] = web.AppKey("agent_dashboard")
CAMPAIGNS: web.AppKey[CampaignService] = web.AppKey("campaigns")
CAMPAIGN_DIALER: web.AppKey[CampaignDialer] = web.AppKey("campaign_dialer")
ISALES_FLOW: web.AppKey[FlowControl] = web.AppKey("isales_flow")
WALLBOARD: web.AppKey[WallboardHub] = web.AppKey("wallboard")
DIDS: web.AppKey[DidRepository] = web.AppKey("dids")
TRANSCRIPTS: web.AppKey[TranscriptService] = web.AppKey("transcripts")
RECORDINGS: web.AppKey[RecordingFiles] = web.AppKey("recordings")
RECORDING_RETENTION: web.AppKey[RecordingRetention] = web.AppKey("recording_retention")
WEBHOOKS: web.AppKey[WebhookRepository] = web.AppKey("webhooks")
WEBHOOK_WORKER: web.AppKey[DeliveryWorker] = web.AppKey("webhook_worker")
