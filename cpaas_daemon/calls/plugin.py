"""The calls domain: its table's owner, the one way to place a call, call control,
inbound routing (a FastAGI route) and OTP calls."""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
from cpaas_daemon.calls.dids import DidRepository
from cpaas_daemon.calls.inbound import InboundHook
from cpaas_daemon.calls.originator import Originator
from cpaas_daemon.calls.otp import OtpService
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.service import CallService
from cpaas_daemon.core import Core
from cpaas_daemon.pbx.plugin import PbxPlugin


@dataclass(frozen=True)
class CallsPlugin:
    repository: CallRepository
    originator: Originator
    service: CallService
    dids: DidRepository
    announcements: AnnounceTemplateRepository
    otp: OtpService


def build(core: Core, pbx: PbxPlugin) -> CallsPlugin:
    config = core.config
    repository = CallRepository(core.db)
    originator = Originator(pbx.pool, repository, core.tracker, config.dial, core.metrics)
    dids = DidRepository(core.db)
    core.agi.route("inbound", InboundHook(dids, repository, core.tracker))
    announcements = AnnounceTemplateRepository(core.db)
    return CallsPlugin(
        repository=repository,
        originator=originator,
        service=CallService(pbx.pool, originator, repository, core.tracker, config.dial),
        dids=dids,
        announcements=announcements,
        otp=OtpService(originator, announcements, core.tts),
    )
