"""Seed 003 "Callback Request": POST creates, PATCH modifies, DELETE cancels, GET looks up.

Bodies are format-checked here (numbers, on/off, request_id); the time rules (IANA zone,
DST gap, future-only) are the service's, because a PATCH is judged with stored values.
"""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon.api.cpaas_base import AccountAuth, CpaasModel, Number, OnOff, ok, parse_body
from cpaas_daemon.api.cpaas_calls import ByRequestId
from cpaas_daemon.callbacks.model import Callback, CallbackSpec
from cpaas_daemon.callbacks.service import CallbackService
from cpaas_daemon.calls import dialstring
from cpaas_daemon.timefmt import iso


class NewCallback(CpaasModel):
    """POST body: every field is required."""

    agent_number: Number
    caller_id: Number
    destination_number: Number
    recording_option: OnOff
    time_zone: str
    scheduled_at: str


class CallbackChanges(ByRequestId):
    """PATCH body: request_id plus any fields to change; an absent field keeps its value."""

    agent_number: Number | None = None
    caller_id: Number | None = None
    destination_number: Number | None = None
    recording_option: OnOff | None = None
    time_zone: str | None = None
    scheduled_at: str | None = None


def callback_json(callback: Callback) -> dict[str, str]:
    """Strings throughout, like every value in the seed's examples."""
    body = {
        "request_id": callback.request_id,
        "state": callback.state.value,
        "agent_number": callback.spec.agent_number,
        "caller_id": callback.spec.caller_id,
        "destination_number": callback.spec.destination_number,
        "recording_option": callback.spec.recording_option,
        "time_zone": callback.spec.time_zone,
        "scheduled_at": callback.spec.scheduled_at,
        "scheduled_at_utc": iso(callback.due_at),
        "attempts": str(callback.attempts),
    }
    if callback.dial_status is not None:
        body["dial_status"] = callback.dial_status
    if callback.reason:
        body["reason"] = callback.reason
    return body


class CallbacksApi:
    """The callback endpoints, over the callback service."""

    def __init__(self, auth: AccountAuth, callbacks: CallbackService) -> None:
        self._auth = auth
        self._callbacks = callbacks

    async def create_callback(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, NewCallback)
        spec = CallbackSpec(**body.model_dump())
        return ok(request_id=await self._callbacks.create(account, spec))

    async def modify_callback(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, CallbackChanges)
        changes = body.model_dump(exclude_none=True, exclude={"request_id"})
        await self._callbacks.modify(account, body.request_id, changes)
        return ok(message="callback data modified successfully", request_id=body.request_id)

    async def delete_callback(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ByRequestId)
        await self._callbacks.cancel(account, body.request_id)
        return ok(message="callback request deleted successfully", request_id=body.request_id)

    async def get_callback(self, request: web.Request) -> web.Response:
        """``GET /api/callback?request_id=...``: where the callback is in its life."""
        account = await self._auth.account_of(request)
        request_id = dialstring.request_id(request.query.get("request_id"))
        callback = await self._callbacks.get(account, request_id)
        return ok(message="callback found", result=callback_json(callback))
