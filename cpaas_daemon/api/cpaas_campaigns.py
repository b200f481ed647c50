"""Seed 003 campaigns: create, stop, details, and the campaign's CDRs and statistics.

Every numeric parameter arrives as a string in the seed (``"max_retries": "1"``); bounds
and defaults are listed in docs/campaigns.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from aiohttp import web

from cpaas_daemon.api.cpaas_base import (
    AccountAuth,
    CpaasModel,
    Number,
    Text,
    ok,
    parse_body,
)
from cpaas_daemon.api.cpaas_calls import found
from cpaas_daemon.campaigns.model import (
    CAMPAIGN_PREFIX,
    DEFAULT_RETRY_ON,
    DND_PREFIX,
    LIST_PREFIX,
    Campaign,
    CampaignSettings,
    StatusCode,
    parse_id,
)
from cpaas_daemon.campaigns.prompts import PROMPT_SUFFIXES
from cpaas_daemon.campaigns.service import CampaignService
from cpaas_daemon.campaigns.uploads import file_name
from cpaas_daemon.cdr.queries import CdrQueries
from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.parsing import whole_number
from cpaas_daemon.timefmt import http_date, iso, utc_now, wall_to_utc, zone
from cpaas_daemon.tts.options import tts_options

RETRYABLE = ("BUSY", "NOANSWER", "CONGESTION", "CHANUNAVAIL")
MAX_NAME, MAX_TEXT = 128, 4000
_GLUED_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(\d{2}:\d{2}:\d{2})$")

# Seed 003's stop_campaign "URL:" line has no /api prefix (its curl line has one): both are
# served, and errors on this path are in the seed's dialect too.
SEED_STOP_PATH = "/stop_campaign"


def _int(value: str, field: str, low: int, high: int) -> int:
    number = whole_number(value)
    if number is None or not low <= number <= high:
        raise ValidationFailed(f"{field} must be a whole number from {low} to {high}")
    return number


def _flag(value: str, field: str, meanings: str) -> int:
    if value not in ("0", "1"):
        raise ValidationFailed(f"{field} must be {meanings}")
    return int(value)


def _statuses(value: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(s.strip().upper() for s in value.split(",") if s.strip()))
    if unknown := [status for status in wanted if status not in RETRYABLE]:
        raise ValidationFailed(f"retry_on_statuses may only list {', '.join(RETRYABLE)}: {unknown}")
    return wanted


class CreateCampaign(CpaasModel):
    list_id: str
    dnd_list_id: str = ""
    campaign_name: str
    campaign_type: Text
    campaign_caller_id: Number
    dynamic_announcement: Text = "0"
    recorded_filename: str = ""
    announcement_text: str = ""
    retry_on_statuses: str = ",".join(DEFAULT_RETRY_ON)
    repeat: Text | None = None
    repeat_count: Text | None = None
    max_retries: Text | None = None
    retry_attempts: Text | None = None
    retry_time: Text = "60"
    calls_per_minute: Text = "10"
    max_concurrent_calls: Text | None = None
    campaign_start_date: str
    campaign_end_date: str
    time_zone: str = "UTC"
    voice: str | None = None
    volume: str | None = None
    rate: str | None = None
    pitch: str | None = None
    language_code: str | None = None
    tts_engine_type: str | None = None

    def settings(self, concurrency_cap: int) -> CampaignSettings:
        """Cross-field validation; files, lists and TTS are checked by the service."""
        if not 1 <= len(self.campaign_name) <= MAX_NAME:
            raise ValidationFailed(f"campaign_name must be 1-{MAX_NAME} characters")
        dynamic = _flag(self.dynamic_announcement, "dynamic_announcement", "0 (file) or 1 (text)")
        if dynamic and not 1 <= len(self.announcement_text) <= MAX_TEXT:
            raise ValidationFailed(f"announcement_text must be 1-{MAX_TEXT} characters")
        if not dynamic:
            file_name(self.recorded_filename, "recorded_filename", PROMPT_SUFFIXES)
        tz = zone(self.time_zone)
        start = wall_to_utc(
            _GLUED_DATE.sub(r"\1 \2", self.campaign_start_date), tz, "campaign_start_date"
        )
        end = wall_to_utc(
            _GLUED_DATE.sub(r"\1 \2", self.campaign_end_date), tz, "campaign_end_date"
        )
        if end <= start:
            raise ValidationFailed("campaign_end_date must be after campaign_start_date")
        if end <= utc_now():
            raise ValidationFailed("campaign_end_date is in the past")
        retries = self.max_retries if self.max_retries is not None else self.retry_attempts
        concurrency = self.max_concurrent_calls or str(concurrency_cap)
        return CampaignSettings(
            campaign_name=self.campaign_name,
            list_id=parse_id(self.list_id, LIST_PREFIX, "list_id"),
            dnd_list_id=parse_id(self.dnd_list_id, DND_PREFIX, "dnd_list_id")
            if self.dnd_list_id
            else None,
            campaign_type=_flag(self.campaign_type, "campaign_type", "0 (announce) or 1 (IVR)"),
            caller_id=self.campaign_caller_id,
            dynamic_announcement=bool(dynamic),
            recorded_filename="" if dynamic else self.recorded_filename,
            announcement_text=self.announcement_text if dynamic else "",
            tts_options=json.dumps(asdict(tts_options(self.model_dump()))),
            repeat_count=_int(self.repeat or self.repeat_count or "1", "repeat", 1, 10),
            max_retries=_int(retries or "0", "max_retries", 0, 10),
            retry_time=_int(self.retry_time, "retry_time", 0, 86400),
            retry_on_statuses=_statuses(self.retry_on_statuses),
            calls_per_minute=_int(self.calls_per_minute, "calls_per_minute", 1, 1200),
            max_concurrent_calls=_int(concurrency, "max_concurrent_calls", 1, concurrency_cap),
            time_zone=tz.key,
            start_at=start,
            end_at=end,
        )


class ByCampaign(CpaasModel):
    campaign_id: str

    def id(self) -> str:
        return parse_id(self.campaign_id, CAMPAIGN_PREFIX, "campaign_id")


def details_json(campaign: Campaign, status: StatusCode) -> dict[str, Any]:
    """The seed's get_campaign_details entry; dates are the real UTC instants."""
    return {
        "calls_per_minute": str(campaign.calls_per_minute),
        "campaign_caller_id": campaign.caller_id,
        "campaign_end_date": http_date(iso(campaign.end_at)),
        "campaign_id": campaign.campaign_id,
        "campaign_name": campaign.campaign_name,
        "campaign_start_date": http_date(iso(campaign.start_at)),
        "campaign_status": str(int(status)),
        "campaign_type": str(campaign.campaign_type),
        "max_retries": str(campaign.max_retries),
        "repeat_announcement_count": str(campaign.repeat_count),
        "retry_time": str(campaign.retry_time),
        "time_zone": campaign.time_zone,
    }


class CampaignsApi:
    """The campaign endpoints, over the campaign service and the CDR queries."""

    def __init__(
        self,
        auth: AccountAuth,
        campaigns: CampaignService,
        cdr: CdrQueries,
        max_concurrent_calls: int,
    ) -> None:
        self._auth = auth
        self._campaigns = campaigns
        self._cdr = cdr
        self._max_concurrent_calls = max_concurrent_calls

    async def create_campaign(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, CreateCampaign)
        settings = body.settings(self._max_concurrent_calls)
        campaign_id = await self._campaigns.create(account, settings)
        return ok(campaign_id=campaign_id)

    async def stop_campaign(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ByCampaign)
        await self._campaigns.dialer.stop_campaign(account, body.id())
        return ok(message="campaign stopped successfully")

    async def get_campaign_details(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        wanted = request.query.get("campaign_id")
        campaign_id = parse_id(wanted, CAMPAIGN_PREFIX, "campaign_id") if wanted else None
        entries = await self._campaigns.details(account, campaign_id)
        return ok(message="campaign found", result=[details_json(c, s) for c, s in entries])

    async def cdr_by_campaign_id(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        campaign_id = (await parse_body(request, ByCampaign)).id()
        await self._campaigns.campaigns.get(account, campaign_id)
        return found(await self._cdr.by_campaign(account, campaign_id))

    async def campaign_cdr_statistics(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        campaign_id = (await parse_body(request, ByCampaign)).id()
        await self._campaigns.campaigns.get(account, campaign_id)
        counts = await self._cdr.statistics(account, campaign_id)
        return ok(result={key: [value] for key, value in counts.items()})
