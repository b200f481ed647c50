"""The callbacks domain: scheduled calls, told by the CDR ingest how each one ended.
Started after AMI: a callback that is due dials at once."""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.callbacks.service import CallbackService
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.plugin import CallsPlugin
from cpaas_daemon.cdr.plugin import CdrPlugin
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running


@dataclass(frozen=True)
class CallbacksPlugin:
    service: CallbackService
    contexts: tuple[Context, ...]


def build(core: Core, calls: CallsPlugin, cdr: CdrPlugin) -> CallbacksPlugin:
    service = CallbackService(core.db, calls.service, core.config.callbacks)
    cdr.ingest.on_summary(service.on_cdr_summary, CallKind.CALLBACK)
    return CallbacksPlugin(service=service, contexts=(running(service),))
