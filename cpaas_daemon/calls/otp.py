"""OTP voice calls: dial the customer and read the code out ``repeat`` times.

The account's approved template ("Your code is {otp}") is rendered to speech offline;
if no TTS engine is installed (or it fails) the dialplan falls back to SayDigits, so an
OTP is never lost to a missing package -- only its wording is.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
from cpaas_daemon.announcements.templates import render
from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.originator import Originator
from cpaas_daemon.tts import TtsError, TtsOptions, TtsRenderer

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OtpCall:
    customer_number: str
    otp: str
    announce_template_id: str
    repeat: int
    caller_id: str
    speech: TtsOptions


class OtpService:
    def __init__(
        self,
        originator: Originator,
        templates: AnnounceTemplateRepository,
        tts: TtsRenderer,
    ) -> None:
        self._originator = originator
        self._templates = templates
        self._tts = tts

    async def call(self, account_id: str, otp: OtpCall) -> str:
        template = await self._templates.get(account_id, otp.announce_template_id)
        try:
            prompt = str(await self._tts.render(render(template, otp.otp), otp.speech))
        except TtsError as exc:
            log.warning("otp.tts_fallback", account=account_id, reason=exc.message)
            prompt = ""
        request_id = new_request_id()
        await self._originator.place(
            CallRequest(
                request_id=request_id,
                account_id=account_id,
                kind=CallKind.OTP,
                channel="",
                outbound_number=otp.customer_number,
                context="cpaas-otp",
                exten="s",
                caller_id=otp.caller_id,
                variables={
                    "CPAAS_OTP": otp.otp,
                    "CPAAS_REPEAT": str(otp.repeat),
                    "CPAAS_PROMPT": prompt,
                },
                customer_number=otp.customer_number,
                dialed_number=otp.customer_number,
            )
        )
        return request_id
