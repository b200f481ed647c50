"""Place one call: write it down, then send exactly one Originate.

The order matters for "never dial twice": the ``calls`` row exists before the action is
on the wire, and a lost link after sending marks the call ``uncertain`` instead of
retrying. Whoever placed it (API, callback, campaign) decides what to do next from the
CDR that arrives -- or does not.
"""

from __future__ import annotations

import re

import structlog

from cpaas_daemon.ami.client import AmiClient, AmiError
from cpaas_daemon.calls.model import CallRequest, CallState, other_channel_id
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.cdr.ami_outcome import originate_action_id
from cpaas_daemon.config import DialConfig
from cpaas_daemon.errors import PbxUnavailable
from cpaas_daemon.log import add_to_request_line
from cpaas_daemon.metrics import Metrics

log = structlog.get_logger(__name__)

# What a daemon-built value may contain. Client input was validated long before; this is
# the last line of defence against a programming error producing an injectable action.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.@/+:=()\- ]*$")


def safe(value: str, what: str) -> str:
    if not _SAFE_VALUE.match(value):
        raise ValueError(f"refusing unsafe AMI value for {what}: {value!r}")
    return value


class Originator:
    def __init__(
        self,
        ami: AmiClient,
        calls: CallRepository,
        tracker: CallTracker,
        dial: DialConfig,
        metrics: Metrics,
    ) -> None:
        self._ami = ami
        self._calls = calls
        self._tracker = tracker
        self._dial = dial
        self._metrics = metrics

    def fields(self, call: CallRequest) -> dict[str, str | list[str]]:
        # Inherited (``__``) by every channel the call creates, so a transferred leg's
        # CDR still names its request (the dialplan's [cpaas-transfer] reads it).
        variables = {"__CPAAS_REQUEST_ID": call.request_id, **call.variables}
        return {
            # The OriginateResponse of a failed call names its request by this ActionID.
            "ActionID": originate_action_id(self._ami.next_action_id(), call.request_id),
            "Channel": safe(call.channel, "Channel"),
            "Context": safe(call.context, "Context"),
            "Exten": safe(call.exten, "Exten"),
            "Priority": "1",
            "Timeout": str(self._dial.originate_timeout_ms),
            "CallerID": safe(call.caller_id, "CallerID"),
            "Account": safe(call.account_id, "Account"),
            "ChannelId": call.channel_id,
            "OtherChannelId": other_channel_id(call.channel_id),
            "Variable": [f"{safe(k, 'Variable')}={safe(v, k)}" for k, v in variables.items()],
        }

    async def place(self, call: CallRequest) -> None:
        """Raises PbxUnavailable (503) when nothing could be sent or the outcome is unknown."""
        if not self._ami.connected:
            raise PbxUnavailable("PBX is not connected; no call was placed")
        fields = self.fields(call)
        if not fields["CallerID"]:
            del fields["CallerID"]
        await self._calls.insert(call)
        self._tracker.register(RequestInfo(call.request_id, call.account_id, call.kind))
        bound = log.bind(request_id=call.request_id, account=call.account_id, kind=call.kind)
        try:
            await self._ami.originate(fields)
        except AmiError as exc:
            await self._calls.set_state(call.request_id, CallState.REFUSED)
            self._tracker.forget(call.request_id)
            self._metrics.originates.labels(call.kind.value, "refused").inc()
            bound.warning("call.refused", reason=exc.message)
            raise
        except PbxUnavailable as exc:
            await self._calls.set_state(call.request_id, CallState.UNCERTAIN)
            self._metrics.originates.labels(call.kind.value, "uncertain").inc()
            bound.warning("call.uncertain", reason=exc.message)
            raise PbxUnavailable(
                "connection to the PBX was lost while placing the call; it was not retried",
                details={"request_id": call.request_id},
            ) from exc
        self._calls.mark_originated(call.request_id)  # written behind, batched
        self._metrics.originates.labels(call.kind.value, "queued").inc()
        if not add_to_request_line(
            request_id=call.request_id, kind=call.kind, channel=call.channel
        ):  # placed by a campaign or a callback: no HTTP request line to ride on
            bound.info("call.originated", channel=call.channel)
