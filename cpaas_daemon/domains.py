"""Every domain of the daemon, built from the core in the order their constructor
arguments impose: a plugin's ``build`` takes the plugins it uses, so it cannot be built
before them (wazo-calld's plugins, typed)."""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon import core as core_plugin
from cpaas_daemon.callbacks import plugin as callbacks_plugin
from cpaas_daemon.callbacks.plugin import CallbacksPlugin
from cpaas_daemon.calls import plugin as calls_plugin
from cpaas_daemon.calls.plugin import CallsPlugin
from cpaas_daemon.campaigns import plugin as campaigns_plugin
from cpaas_daemon.campaigns.plugin import CampaignsPlugin
from cpaas_daemon.cdr import plugin as cdr_plugin
from cpaas_daemon.cdr.plugin import CdrPlugin
from cpaas_daemon.config import Config
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context
from cpaas_daemon.pbx import plugin as pbx_plugin
from cpaas_daemon.pbx.plugin import PbxPlugin
from cpaas_daemon.queue_log import plugin as queue_log_plugin
from cpaas_daemon.queue_log.plugin import QueueLogPlugin
from cpaas_daemon.recordings import plugin as recordings_plugin
from cpaas_daemon.recordings.plugin import RecordingsPlugin
from cpaas_daemon.stats import plugin as stats_plugin
from cpaas_daemon.stats.plugin import StatsPlugin
from cpaas_daemon.transcripts import plugin as transcripts_plugin
from cpaas_daemon.transcripts.plugin import TranscriptsPlugin
from cpaas_daemon.wallboard import plugin as wallboard_plugin
from cpaas_daemon.wallboard.plugin import WallboardPlugin
from cpaas_daemon.webhooks import plugin as webhooks_plugin
from cpaas_daemon.webhooks.plugin import WebhooksPlugin


@dataclass(frozen=True)
class Domains:
    core: Core
    pbx: PbxPlugin
    calls: CallsPlugin
    cdr: CdrPlugin
    callbacks: CallbacksPlugin
    transcripts: TranscriptsPlugin
    recordings: RecordingsPlugin
    stats: StatsPlugin
    campaigns: CampaignsPlugin
    webhooks: WebhooksPlugin
    queue_log: QueueLogPlugin
    wallboard: WallboardPlugin

    def contexts(self) -> list[Context]:
        """Start order (stopped in reverse): the store, FastAGI and TTS; the webhook
        worker before anything emits; the CDR ingest and the transcripts that wait on it;
        then the simulator and each PBX (its Master.csv caught up, its AMI link, its
        queue_log tailer); then what dials or sweeps once connected (callbacks, campaigns
        reconcile with the recovered CDRs first; retention keeps a live call's file);
        the wallboard hub."""
        return [
            *self.core.contexts,
            *self.webhooks.contexts,
            *self.cdr.contexts,
            *self.transcripts.contexts,
            *self.pbx.contexts,
            *self.callbacks.contexts,
            *self.campaigns.contexts,
            *self.recordings.contexts,
            *self.wallboard.contexts,
        ]


def build(config: Config) -> Domains:
    """Build every component (nothing started). CDR summary hooks run in the order they
    were added: callbacks, transcripts, then the webhook worker's wake-up."""
    core = core_plugin.build(config)
    cdr = cdr_plugin.build(core)
    pbx = pbx_plugin.build(core, cdr)
    calls = calls_plugin.build(core, pbx)
    callbacks = callbacks_plugin.build(core, calls, cdr)
    transcripts = transcripts_plugin.build(core, cdr)
    queue_log = queue_log_plugin.build(core, pbx)
    return Domains(
        core=core,
        pbx=pbx,
        calls=calls,
        cdr=cdr,
        callbacks=callbacks,
        transcripts=transcripts,
        recordings=recordings_plugin.build(core, calls),
        stats=stats_plugin.build(core),
        campaigns=campaigns_plugin.build(core, calls, cdr, pbx),
        webhooks=webhooks_plugin.build(core, calls, cdr),
        queue_log=queue_log,
        wallboard=wallboard_plugin.build(core, queue_log),
    )
