"""Seed 002: iSales ``GET /rest/isales/v2/openapi/campaigns/{vdnId}/statistics``.

Authentication. The vendor's scheme (C2 interface signing) is not in the seed; this
daemon accepts ``Authorization: Basic base64(account_id:auth)`` with the same accounts
as the CPaaS API, so a campaign is only visible to the account that created it.

Errors use the vendor's ``resultCode`` / ``resultDesc`` body. Flow control: at most
``LIMIT`` requests per account per five-minute window, then HTTP 429 with the vendor's
message until the window ends.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable

from aiohttp import web

from cpaas_daemon.api.cpaas_base import AccountAuth
from cpaas_daemon.api.errors import ApiError
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.campaigns.model import CAMPAIGN_PREFIX, parse_id
from cpaas_daemon.campaigns.service import CampaignService
from cpaas_daemon.errors import NotFound, TooManyRequests, Unauthorized, ValidationFailed
from cpaas_daemon.parsing import whole_number

LIMIT, WINDOW = 100, 300.0
BUSY_MESSAGE = "Do not perform this operation frequently. Please try again later."
MAX_PARAM = 64
_SAFE = re.compile(r"^[A-Za-z0-9_-]*$")
_GENERIC_CODES = {400: "0200001", 401: "401", 403: "403", 404: "404", 429: "429"}


def render_error(error: ApiError) -> web.Response:
    code = error.details.get("resultCode") or _GENERIC_CODES.get(error.status, str(error.status))
    return json_response({"resultCode": code, "resultDesc": error.message}, status=error.status)


def param_error(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"resultCode": code})


class FlowControl:
    """Fixed five-minute windows per client: cheap, and the vendor's wording."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._windows: dict[str, tuple[float, int]] = {}

    def check(self, client: str) -> None:
        now = self._clock()
        started, count = self._windows.get(client, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        if count >= self.limit:
            raise TooManyRequests(BUSY_MESSAGE)
        self._windows[client] = (started, count + 1)


def _text_param(request: web.Request, name: str) -> str | None:
    value = request.query.get(name, "").strip()
    if not value:
        return None
    if len(value) > MAX_PARAM:
        raise param_error("02000003", f"{name} cannot exceed {MAX_PARAM} characters")
    if not _SAFE.match(value):
        raise param_error("02000002", f"{name} contains invalid characters")
    return value


def _vdn(raw: str) -> int:
    vdn = whole_number(raw)
    if vdn is None:
        raise param_error("02000006", "vdnId must be an integer")
    if not 1 <= vdn <= 9999:
        raise param_error("02000007", "vdnId must be from 1 to 9999")
    return vdn


class IsalesApi:
    """Seed 002's endpoint, over the campaigns and the dialect's flow control."""

    def __init__(self, auth: AccountAuth, flow: FlowControl, campaigns: CampaignService) -> None:
        self._auth = auth
        self._flow = flow
        self._campaigns = campaigns

    async def _account(self, request: web.Request) -> str:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        account_id, _, secret = decoded.partition(":")
        if scheme.lower() != "basic" or not account_id or not secret:
            raise Unauthorized("Authorization: Basic base64(account_id:auth) is required")
        return await self._auth.checked_account(request, account_id, secret)

    async def campaign_statistics(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        self._flow.check(account)
        if len(request.query) > 2:
            raise param_error("02000011", "only campaignId and batchId are accepted")
        _vdn(request.match_info["vdnId"])  # one VDN per account here: validated, not used
        campaign_id, batch_id = _text_param(request, "campaignId"), _text_param(request, "batchId")
        if batch_id is not None and campaign_id is None:
            raise param_error("02000009", "batchId requires campaignId")
        service = self._campaigns
        if campaign_id is None:
            campaigns = await service.campaigns.of_account(account)
        else:
            try:
                campaigns = [
                    await service.campaigns.get(
                        account, parse_id(campaign_id, CAMPAIGN_PREFIX, "campaignId")
                    )
                ]
            except (ValidationFailed, NotFound):
                raise param_error("02000007", f"campaignId {campaign_id} does not exist") from None
        details = [await service.progress.campaign_detail(c, batch_id) for c in campaigns]
        return json_response({"countDetail": details})
