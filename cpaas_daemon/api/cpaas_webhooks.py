"""Seed 003 dialect for webhook subscriptions and their dead letters (docs/webhooks.md).

The seed has no webhooks; these endpoints follow its conventions: ``account``/``auth``
headers, ``{"response": {...}}`` bodies with string values, the resource-per-URL style
of ``/api/callback`` (POST creates, GET lists, PATCH changes, DELETE removes).
"""

from __future__ import annotations

import re
from typing import Annotated

from aiohttp import web
from pydantic import AfterValidator, BeforeValidator, Field

from cpaas_daemon.api.cpaas_base import AccountAuth, CpaasModel, Text, ok, parse_body
from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.webhooks.repository import WebhookRepository
from cpaas_daemon.webhooks.worker import DeliveryWorker

_WEBHOOK_ID = re.compile(r"^wh_[0-9a-f]{16}$")
_DELIVERY_ID = re.compile(r"^[0-9]{1,18}$")  # ASCII only: str.isdigit() takes "²"


def _webhook_id(value: str) -> str:
    if not _WEBHOOK_ID.match(value):
        raise ValueError("must be wh_ followed by 16 hexadecimal characters")
    return value


def _true_false(value: object) -> object:
    """``"true"``/``"false"`` as the seed writes booleans, or a JSON boolean."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, bool):
        return value
    raise ValueError('must be "true" or "false"')


WebhookId = Annotated[str, AfterValidator(_webhook_id)]
TrueFalse = Annotated[bool, BeforeValidator(_true_false)]
EventTypes = list[Annotated[str, Field(max_length=64)]] | Annotated[str, Field(max_length=2048)]


class NewWebhook(CpaasModel):
    url: str = Field(max_length=2048)
    event_types: EventTypes = "*"


class ByWebhookId(CpaasModel):
    webhook_id: WebhookId


class WebhookChanges(ByWebhookId):
    url: str | None = Field(None, max_length=2048)
    event_types: EventTypes | None = None
    enabled: TrueFalse | None = None


class Redelivery(CpaasModel):
    delivery_id: Text | None = None
    webhook_id: WebhookId | None = None


class WebhooksApi:
    """The webhook subscription endpoints, over the webhook domain."""

    def __init__(
        self, auth: AccountAuth, webhooks: WebhookRepository, worker: DeliveryWorker
    ) -> None:
        self._auth = auth
        self._webhooks = webhooks
        self._worker = worker

    async def create_webhook(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, NewWebhook)
        subscription, secret = await self._webhooks.add(account, body.url, body.event_types)
        return ok(message="webhook created", secret=secret, **subscription.as_json())

    async def list_webhooks(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        found = await self._webhooks.of_account(account)
        return ok(message="webhooks found", result=[s.as_json() for s in found])

    async def modify_webhook(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, WebhookChanges)
        subscription = await self._webhooks.update(
            account, body.webhook_id, url=body.url, types=body.event_types, enabled=body.enabled
        )
        return ok(message="webhook modified", **subscription.as_json())

    async def delete_webhook(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ByWebhookId)
        await self._webhooks.remove(account, body.webhook_id)
        return ok(message="webhook deleted", webhook_id=body.webhook_id)

    async def rotate_secret(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ByWebhookId)
        secret = await self._webhooks.rotate(account, body.webhook_id)
        return ok(message="secret rotated", webhook_id=body.webhook_id, secret=secret)

    async def dead_letters(self, request: web.Request) -> web.Response:
        """``GET /api/webhooks/dead[?webhook_id=...]``: deliveries that exhausted retries."""
        account = await self._auth.account_of(request)
        webhook_id = request.query.get("webhook_id")
        if webhook_id is not None and not _WEBHOOK_ID.match(webhook_id):
            raise ValidationFailed("webhook_id must be wh_ followed by 16 hexadecimal characters")
        dead = await self._webhooks.dead(account, webhook_id)
        return ok(message="dead deliveries", result=dead)

    async def redeliver(self, request: web.Request) -> web.Response:
        """One dead delivery (``delivery_id``) or all of one endpoint (``webhook_id``)."""
        account = await self._auth.account_of(request)
        body = await parse_body(request, Redelivery)
        if (body.delivery_id is None) == (body.webhook_id is None):
            raise ValidationFailed("give exactly one of delivery_id and webhook_id")
        delivery_id = None
        if body.delivery_id is not None:
            if not _DELIVERY_ID.match(body.delivery_id):
                raise ValidationFailed("delivery_id must be a positive integer")
            delivery_id = int(body.delivery_id)
        count = await self._webhooks.redeliver(
            account, delivery_id=delivery_id, webhook_id=body.webhook_id
        )
        self._worker.wake()
        return ok(message="redelivery queued", count=str(count))
