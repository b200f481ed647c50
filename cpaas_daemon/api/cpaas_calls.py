"""Seed 003 call endpoints: click2call, modify_call, CDR queries, live calls and statistics."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated

from aiohttp import web
from pydantic import Field, field_validator, model_validator

from cpaas_daemon.accounts.limits import CallLimiter
from cpaas_daemon.announcements.templates import validate_otp
from cpaas_daemon.api.cpaas_base import (
    AccountAuth,
    CpaasModel,
    Number,
    OnOff,
    Text,
    ok,
    parse_body,
)
from cpaas_daemon.api.forwarding import Forwarder
from cpaas_daemon.calls import dialstring
from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.calls.live import Leg, LiveCall, leg_channel, live_calls
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.otp import OtpCall, OtpService
from cpaas_daemon.calls.repository import CallNumbers, CallRepository
from cpaas_daemon.calls.service import CallService, ModifyType, TwoPartyCall
from cpaas_daemon.calls.tracker import CallTracker, LiveChannel
from cpaas_daemon.cdr.queries import Cdr, CdrQueries
from cpaas_daemon.errors import NotFound, ValidationFailed
from cpaas_daemon.recordings.files import RecordingFiles
from cpaas_daemon.timefmt import http_date, iso
from cpaas_daemon.transcripts.service import TranscriptService
from cpaas_daemon.tts import tts_options

RECORDING_OPTIONS = {"both", "agent", "customer", "off", "on"}
NO_TARGET = "channel (or request_id and leg) is required"


class Click2Call(CpaasModel):
    agent_number: Number
    destination_number: Number
    caller_id: Number
    recording_option: str = "off"
    transcript: OnOff = "off"

    @field_validator("recording_option")
    @classmethod
    def _recording(cls, value: str) -> str:
        if value not in RECORDING_OPTIONS:
            raise ValueError("must be one of both, agent, customer, off")
        return "both" if value == "on" else value  # seed example sends "on"


class OutboundCall(CpaasModel):
    customer_number: Number
    otp: Text
    announce_template_id: str
    repeat: Annotated[int, Field(ge=1, le=5)] = 1
    caller_id: Number

    @field_validator("otp")
    @classmethod
    def _otp(cls, value: str) -> str:
        return validate_otp(value)


class ModifyCall(CpaasModel):
    """The channel to act on is named either raw (``channel``, the seed) or as a party of
    a live call (``request_id`` + ``leg``, as ``GET /api/live_calls`` lists them)."""

    channel: str | None = None
    request_id: str | None = None
    leg: Leg | None = None
    modify_type: Text
    transfer_to: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        return None if value is None else dialstring.channel_name(value)

    @field_validator("request_id")
    @classmethod
    def _rid(cls, value: str | None) -> str | None:
        return None if value is None else dialstring.request_id(value)

    @model_validator(mode="after")
    def _one_target(self) -> ModifyCall:
        if self.channel is not None and (self.request_id is not None or self.leg is not None):
            raise ValidationFailed("give either channel or request_id and leg, not both")
        if self.channel is None:
            if self.request_id is None:
                raise ValidationFailed(NO_TARGET)
            if self.leg is None:
                raise ValidationFailed("leg (agent or customer) is required with request_id")
        return self

    def target(self, tracker: CallTracker, account_id: str) -> str | LiveChannel:
        """The channel to act on: its name as given, or the named party of a live call
        (the channel itself, on its PBX)."""
        if self.channel is not None:
            return self.channel
        if self.request_id is None or self.leg is None:  # _one_target refused this already
            raise ValidationFailed(NO_TARGET)
        return leg_channel(tracker, account_id, self.request_id, self.leg)

    @field_validator("modify_type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in {"0", "1", "2", "3"}:
            raise ValueError("must be 0 (blind transfer), 1 (attended), 2 (hangup), 3 (record)")
        return value

    @field_validator("transfer_to")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        return None if not value else dialstring.number_or_extension(value, "transfer_to")

    @model_validator(mode="after")
    def _transfer_needs_target(self) -> ModifyCall:
        if self.modify_type in {"0", "1"} and not self.transfer_to:
            raise ValidationFailed("transfer_to is required for a transfer")
        return self


class CdrByDate(CpaasModel):
    start_call_date: date
    end_call_date: date
    record_count: Annotated[int, Field(ge=1, le=10000)] = 1000
    offset: Annotated[int, Field(ge=0)] = 0


class ByRequestId(CpaasModel):
    request_id: str

    @field_validator("request_id")
    @classmethod
    def _rid(cls, value: str) -> str:
        return dialstring.request_id(value)


def found(cdrs: list[Cdr]) -> web.Response:
    """The seed's CDR list answer; an empty result is a 404 ``cdr not found``."""
    if not cdrs:
        raise NotFound("cdr not found")
    return ok(message="cdr found", result=cdrs)


def _live_call_json(call: LiveCall, numbers: CallNumbers | None) -> dict[str, str]:
    """One live call; every value a string as in the seed, ``""`` for a party not there."""
    body = {
        "request_id": call.info.request_id,
        "kind": call.info.kind.value,
        "call_direction": call.info.kind.direction,
        "state": call.state.value,
        "since": http_date(iso(datetime.fromtimestamp(call.since, UTC))) or "",
    }
    for leg in Leg:
        channel = call.leg(leg)
        body[f"{leg}_channel"] = channel.name if channel is not None else ""
        body[f"{leg}_channel_state"] = channel.state if channel is not None else ""
    body["agent_number"] = numbers.agent_number if numbers is not None else ""
    body["customer_number"] = numbers.customer_number if numbers is not None else ""
    body["dialed_number"] = numbers.dialed_number if numbers is not None else ""
    return body


class CallsApi:
    """The call, CDR, live-call and recording endpoints, over the services they use."""

    def __init__(
        self,
        *,
        auth: AccountAuth,
        limiter: CallLimiter,
        calls: CallService,
        otp: OtpService,
        call_records: CallRepository,
        tracker: CallTracker,
        cdr: CdrQueries,
        transcripts: TranscriptService,
        recordings: RecordingFiles,
        forwarder: Forwarder,
    ) -> None:
        self._auth = auth
        self._forwarder = forwarder
        self._limiter = limiter
        self._calls = calls
        self._otp = otp
        self._call_records = call_records
        self._tracker = tracker
        self._cdr = cdr
        self._transcripts = transcripts
        self._recordings = recordings

    async def _placed(self, account: str, place: Callable[[], Awaitable[str]]) -> web.Response:
        """Place one call within the account's limits (429 past them; docs/security.md)."""
        async with self._limiter.slot(account) as slot:
            slot.request_id = await place()
        return ok(request_id=slot.request_id)

    async def click2call(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, Click2Call)
        if (node := await self._forwarder.for_new_call(request)) is not None:
            return await self._forwarder.forward(request, node)
        request_id = new_request_id()
        transcript = body.transcript == "on"
        call = TwoPartyCall(
            agent_number=body.agent_number,
            destination_number=body.destination_number,
            caller_id=body.caller_id,
            recording_option=body.recording_option,
            transcript=transcript,
        )

        async def place() -> str:
            # The transcript job is written before the call (docs/transcripts.md).
            async with self._transcripts.expecting(request_id, transcript):
                return await self._calls.two_party(account, call, request_id=request_id)

        return await self._placed(account, place)

    async def outbound_call(self, request: web.Request) -> web.Response:
        """OTP voice call (seed: ``/api/outbound_call``)."""
        account = await self._auth.account_of(request)
        body = await parse_body(request, OutboundCall)
        if (node := await self._forwarder.for_new_call(request)) is not None:
            return await self._forwarder.forward(request, node)
        raw = json.loads(await request.read())
        call = OtpCall(
            customer_number=body.customer_number,
            otp=body.otp,
            announce_template_id=body.announce_template_id,
            repeat=body.repeat,
            caller_id=body.caller_id,
            speech=tts_options(raw),
        )
        return await self._placed(account, lambda: self._otp.call(account, call))

    async def modify_call(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ModifyCall)
        if body.channel is None and body.request_id is not None:
            pbx_id = await self._call_records.pbx_of(account, body.request_id)
            if (node := await self._forwarder.for_pbx(request, pbx_id)) is not None:
                return await self._forwarder.forward(request, node)
        channel = body.target(self._tracker, account)
        message = await self._calls.modify(
            account, channel, ModifyType(int(body.modify_type)), body.transfer_to
        )
        return ok(message=message)

    async def cdr_by_date(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, CdrByDate)
        cdrs = await self._cdr.by_date(
            account, body.start_call_date, body.end_call_date, body.record_count, body.offset
        )
        return found(cdrs)

    async def cdr_by_request_id(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ByRequestId)
        return found(await self._cdr.by_request_id(account, body.request_id))

    async def cdr_statistics(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        counts = await self._cdr.statistics(account)
        return ok(result={key: [value] for key, value in counts.items()})

    async def live_call_statistics(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        live = self._tracker.live_calls(account)
        result = {
            "live_calls_c2c": live[CallKind.C2C] + live[CallKind.CALLBACK],
            "live_calls_campaign": live[CallKind.CAMPAIGN],
            "live_calls_inbound": live[CallKind.INBOUND],
            "live_calls_otp": live[CallKind.OTP],
        }
        for other in await self._forwarder.gather(request):  # the other nodes' PBXs
            result = {key: count + int(other["result"][key]) for key, count in result.items()}
        return ok(result=result)

    async def live_calls_list(self, request: web.Request) -> web.Response:
        """``GET /api/live_calls``: the account's calls up now and their channels (not in the
        seed; it is what modify_call needs). No call up is a 200 with an empty list."""
        account = await self._auth.account_of(request)
        calls = live_calls(self._tracker, account)
        numbers = await self._call_records.numbers(
            account, [call.info.request_id for call in calls]
        )
        result = [_live_call_json(call, numbers.get(call.info.request_id)) for call in calls]
        for other in await self._forwarder.gather(request):  # the other nodes' PBXs
            result += other["result"]
        return ok(message="live calls found", result=result)

    async def recording(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/recording/{request_id}``: the call's recording file (not in the seed).

        aiohttp's FileResponse streams it from a thread and answers ``Range`` (206, 416),
        ``If-Range``, ``If-Modified-Since`` and ``HEAD``.
        """
        account = await self._auth.account_of(request)
        request_id = dialstring.request_id(request.match_info["request_id"])
        found = await self._recordings.locate(account, request_id)
        return web.FileResponse(
            found.path,
            headers={
                "Content-Type": found.content_type,
                "Content-Disposition": f'attachment; filename="{found.name}"',
            },
        )
