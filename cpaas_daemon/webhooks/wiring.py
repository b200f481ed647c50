"""How the webhook domain plugs into the app: the outbox, the worker, the AMI hook.

The worker is woken when CDR summaries commit (call.completed is the event a CRM waits
for); everything else it finds within ``webhooks.poll_interval``.
"""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.webhooks.calls import CallStateEvents
from cpaas_daemon.webhooks.events import Outbox
from cpaas_daemon.webhooks.repository import WebhookRepository
from cpaas_daemon.webhooks.worker import DeliveryWorker


def setup_webhooks(app: web.Application) -> None:
    """Needs DB, BUS, TRACKER, CALLS and CDR_INGEST; start with ``running(keys.WEBHOOK_WORKER)``."""
    db = app[keys.DB]
    outbox = Outbox(db)
    app[keys.WEBHOOKS] = WebhookRepository(db, outbox)
    app[keys.WEBHOOK_WORKER] = worker = DeliveryWorker(
        db, outbox, app[keys.CONFIG].webhooks, app[keys.METRICS]
    )
    call_events = CallStateEvents(app[keys.BUS], app[keys.TRACKER], outbox)
    app[keys.CALLS].on_transfer(call_events.on_transfer)
    app[keys.CDR_INGEST].on_summary(lambda _request_id, _status: worker.wake())
