"""The webhook domain: the subscriptions, the outbox, the delivery worker, the AMI hook.

The worker is woken when CDR summaries commit (call.completed is the event a CRM waits
for); everything else it finds within ``webhooks.poll_interval``. It starts right after
the store, before anything that emits.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.calls.plugin import CallsPlugin
from cpaas_daemon.cdr.plugin import CdrPlugin
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.webhooks.calls import CallStateEvents
from cpaas_daemon.webhooks.events import Outbox
from cpaas_daemon.webhooks.repository import WebhookRepository
from cpaas_daemon.webhooks.worker import DeliveryWorker


@dataclass(frozen=True)
class WebhooksPlugin:
    repository: WebhookRepository
    worker: DeliveryWorker
    contexts: tuple[Context, ...]


def build(core: Core, calls: CallsPlugin, cdr: CdrPlugin) -> WebhooksPlugin:
    outbox = Outbox(core.db)
    worker = DeliveryWorker(core.db, outbox, core.config.webhooks, core.metrics)
    call_events = CallStateEvents(core.bus, core.tracker, outbox)
    calls.service.on_transfer(call_events.on_transfer)
    cdr.ingest.on_summary(lambda _request_id, _status: worker.wake())
    return WebhooksPlugin(
        repository=WebhookRepository(core.db, outbox),
        worker=worker,
        contexts=(running(worker),),
    )
