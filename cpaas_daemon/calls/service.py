"""Call control for an account: click-to-call and live-call changes (modify_call).

Inputs arrive validated (numbers are digits); this module turns them into dialplan
variables and AMI actions, and enforces that an account only touches its own channels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import structlog

from cpaas_daemon.ami import actions
from cpaas_daemon.ami.actions import AmiAction
from cpaas_daemon.calls.dialstring import new_request_id
from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.originator import Originator
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker, LiveChannel, RequestInfo
from cpaas_daemon.config import DialConfig
from cpaas_daemon.errors import NotFound, ValidationFailed
from cpaas_daemon.pbx.pool import PbxPool

log = structlog.get_logger(__name__)

TRANSFER_CONTEXT = "cpaas-transfer"


class ModifyType(IntEnum):
    BLIND_TRANSFER = 0
    ATTENDED_TRANSFER = 1
    HANGUP = 2
    START_RECORDING = 3


MODIFY_MESSAGES = {
    ModifyType.BLIND_TRANSFER: "blind transferred successfully",
    ModifyType.ATTENDED_TRANSFER: "attended transfer started successfully",
    ModifyType.HANGUP: "call hangup successfully",
    ModifyType.START_RECORDING: "call recording started successfully",
}


TransferListener = Callable[[RequestInfo, str, ModifyType, str], None]
"""``(call, channel, BLIND_TRANSFER or ATTENDED_TRANSFER, transfer_to)``."""


@dataclass(frozen=True)
class TwoPartyCall:
    """Click-to-call (and a due callback): agent first, then the destination."""

    agent_number: str
    destination_number: str
    caller_id: str
    recording_option: str  # both | agent | customer | off
    transcript: bool = False


class CallService:
    def __init__(
        self,
        pbxes: PbxPool,
        originator: Originator,
        calls: CallRepository,
        tracker: CallTracker,
        dial: DialConfig,
    ) -> None:
        self._pbxes = pbxes
        self._originator = originator
        self._calls = calls
        self._tracker = tracker
        self._dial = dial
        self._transfer_listeners: list[TransferListener] = []

    def on_transfer(self, listener: TransferListener) -> None:
        """Told after Asterisk accepted a transfer of a call we know (webhooks)."""
        self._transfer_listeners.append(listener)

    def _recording(self, request_id: str, option: str) -> tuple[str, dict[str, str]]:
        """MixMonitor on the agent channel: ``b`` mixes both sides once bridged into
        ``<id>.wav``; one side only is the receive (agent's voice) or transmit (customer's
        voice) feed into ``<id>-agent.wav`` / ``<id>-customer.wav``, with no mixed file
        (MixMonitor takes an empty file name when r() or t() is given)."""
        if option == "off":
            return "", {"CPAAS_RECORD": "off"}
        directory = self._dial.recordings_dir
        if option == "both":
            name, mixed, options = f"{request_id}.wav", str(directory / f"{request_id}.wav"), "b"
        else:
            name, mixed = f"{request_id}-{option}.wav", ""
            options = f"b{'r' if option == 'agent' else 't'}({directory / name})"
        return name, {
            "CPAAS_RECORD": option,
            "CPAAS_RECORDING_FILE": mixed,
            "CPAAS_MIXMON_OPTIONS": options,
        }

    async def two_party(
        self,
        account_id: str,
        call: TwoPartyCall,
        kind: CallKind = CallKind.C2C,
        request_id: str | None = None,
    ) -> str:
        request_id = request_id or new_request_id()
        recording_name, variables = self._recording(request_id, call.recording_option)
        variables |= {
            "CPAAS_RING_TIMEOUT": str(self._dial.ring_timeout),
            "CPAAS_TRANSCRIPT": "on" if call.transcript else "off",
        }
        await self._originator.place(
            CallRequest(
                request_id=request_id,
                account_id=account_id,
                kind=kind,
                channel="",
                outbound_number=call.agent_number,
                outbound_variables={"CPAAS_DEST_DIAL": call.destination_number},
                context="cpaas-click2call",
                exten=call.destination_number,
                caller_id=call.caller_id,
                variables=variables,
                agent_number=call.agent_number,
                customer_number=call.destination_number,
                dialed_number=call.destination_number,
                recording_name=recording_name,
            )
        )
        return request_id

    async def modify(
        self,
        account_id: str,
        target: str | LiveChannel,
        modify_type: ModifyType,
        transfer_to: str | None,
    ) -> str:
        """Transfer, hang up or record a live channel of this account (named, or the
        channel itself), on the PBX the channel lives on; returns the message."""
        live = self._tracker.channel_of(account_id, target) if isinstance(target, str) else target
        channel = target if isinstance(target, str) else target.name
        if live is None:
            # Same answer for "not live" and "someone else's": no information leak.
            raise NotFound(f"no live call on channel {channel}")
        bound = log.bind(account=account_id, channel=channel, modify_type=modify_type.name)
        if modify_type in (ModifyType.BLIND_TRANSFER, ModifyType.ATTENDED_TRANSFER):
            if not transfer_to:  # the API model checks it first; callers may not
                raise ValidationFailed("transfer_to is required for a transfer")
            # ``channel`` is the transferer: BlindTransfer hands its bridge peer over to
            # the target and hangs it up; Atxfer puts the peer on hold while it consults
            # the target (done when it hangs up). [cpaas-transfer] picks the template.
            transfer = (
                actions.blind_transfer
                if modify_type is ModifyType.BLIND_TRANSFER
                else actions.atxfer
            )
            info = self._tracker.request_of(live)  # before the transfer ends it
            await self._send(live, transfer(channel, TRANSFER_CONTEXT, transfer_to))
            if info is not None:
                for listener in self._transfer_listeners:
                    listener(info, channel, modify_type, transfer_to)
        elif modify_type is ModifyType.HANGUP:
            await self._send(live, actions.hangup(channel))
        else:
            await self._start_recording(live)
        bound.info("call.modified")
        return MODIFY_MESSAGES[modify_type]

    async def _send(self, live: LiveChannel, action: AmiAction) -> None:
        await self._pbxes.get(live.pbx_id).client.send(action)

    async def _start_recording(self, live: LiveChannel) -> None:
        info = self._tracker.request_of(live)
        stem = info.request_id if info is not None else "call"
        path: Path = self._dial.recordings_dir / f"{stem}-{new_request_id()}.wav"
        await self._send(live, actions.mix_monitor(live.name, str(path)))
        if info is not None:
            await self._calls.set_recording(info.request_id, path.name)
