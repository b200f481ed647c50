"""The webhook domain: the subscriptions, the outbox, the delivery worker, the AMI hook.

The worker is woken when CDR summaries commit (call.completed is the event a CRM waits
for); everything else it finds within ``webhooks.poll_interval``. It starts right after
the store, before anything that emits, on the node holding the delivery lease only
(:mod:`cpaas_daemon.webhooks.delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.calls.plugin import CallsPlugin
from cpaas_daemon.cdr.plugin import CdrPlugin
from cpaas_daemon.cluster.leases import WEBHOOKS, LeaseRepository
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context, running
from cpaas_daemon.webhooks.calls import CallStateEvents
from cpaas_daemon.webhooks.delivery import Delivery
from cpaas_daemon.webhooks.events import Outbox
from cpaas_daemon.webhooks.repository import WebhookRepository
from cpaas_daemon.webhooks.worker import DeliveryWorker


@dataclass(frozen=True)
class WebhooksPlugin:
    repository: WebhookRepository
    worker: DeliveryWorker
    delivery: Delivery
    contexts: tuple[Context, ...]


def build(core: Core, calls: CallsPlugin, cdr: CdrPlugin) -> WebhooksPlugin:
    config = core.config
    outbox = Outbox(core.db)
    worker = DeliveryWorker(core.db, outbox, config.webhooks, core.metrics)
    leases = LeaseRepository(core.db, config.cluster.node_id, config.api_url())
    delivery = Delivery(
        worker, outbox, WebhookRepository(core.db), leases, config.cluster.lease_seconds
    )
    core.metrics.leases_held.labels(WEBHOOKS).set_function(lambda: len(delivery.keeper.held()))
    call_events = CallStateEvents(core.bus, core.tracker, outbox)
    calls.service.on_transfer(call_events.on_transfer)
    cdr.ingest.on_summary(lambda _request_id, _status: worker.wake())
    return WebhooksPlugin(
        repository=WebhookRepository(core.db, outbox),
        worker=worker,
        delivery=delivery,
        contexts=(running(delivery),),
    )
