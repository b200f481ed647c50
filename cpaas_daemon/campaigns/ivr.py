"""FastAGI route ``campaign-ivr``: the survey step of a type 1 campaign.

``[cpaas-campaign]`` runs ``AGI(${CPAAS_AGI}/campaign-ivr)`` once the contact answered.
The prompt is played with ``GET DATA`` (up to CPAAS_REPEAT times while nothing is
pressed) and the one key pressed is stored in the call's ``dtmf_inputs``, which the
campaign CDR API returns. Everything read from the channel is re-validated: the
request_id must be ours and a campaign call, digits must be DTMF characters.
"""

from __future__ import annotations

import re

import structlog

from cpaas_daemon.agi.server import AgiRequest
from cpaas_daemon.calls.dialstring import request_id as parse_request_id
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.parsing import whole_number
from cpaas_daemon.store.db import Database

log = structlog.get_logger(__name__)

ROUTE = "campaign-ivr"
DIGIT_TIMEOUT_MS = 5000
MAX_DIGITS = 1
MAX_REPEAT = 10
_DTMF = re.compile(r"^[0-9*#]+$")


class CampaignIvr:
    def __init__(self, db: Database) -> None:
        self._calls = CallRepository(db)

    async def __call__(self, agi: AgiRequest) -> None:
        try:
            request_id = parse_request_id(await agi.get_variable("CPAAS_REQUEST_ID"))
        except ValidationFailed:
            log.warning("campaign_ivr.no_request", channel=agi.channel)
            return
        prompt = await agi.get_variable("CPAAS_PROMPT") or "beep"
        repeat = await agi.get_variable("CPAAS_REPEAT")
        plays = min(max(whole_number(repeat) or 1, 1), MAX_REPEAT)
        digits = ""
        for _ in range(plays):
            digits = await agi.get_data(prompt, DIGIT_TIMEOUT_MS, MAX_DIGITS)
            if _DTMF.match(digits):
                break
        if not _DTMF.match(digits):
            return
        await self._calls.set_dtmf(request_id, digits)
        await agi.set_variable("CPAAS_DTMF", digits)
        log.info("campaign_ivr.input", request_id=request_id, digits=digits)
