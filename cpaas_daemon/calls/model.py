"""What a call request is, independent of HTTP and AMI."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cpaas_daemon.config import DEFAULT_PBX_ID


class CallKind(StrEnum):
    C2C = "c2c"
    OTP = "otp"
    CALLBACK = "callback"
    CAMPAIGN = "campaign"
    INBOUND = "inbound"

    @property
    def direction(self) -> str:
        """The seed's ``call_direction``."""
        if self is CallKind.CAMPAIGN:
            return "outbound-campaign"
        if self is CallKind.INBOUND:
            return "inbound"
        return "outbound-api"


class CallState(StrEnum):
    QUEUED = "queued"  # row written, Originate not yet acknowledged
    ORIGINATED = "originated"  # Asterisk said "Originate successfully queued"
    UNCERTAIN = "uncertain"  # link dropped after sending: may or may not ring
    REFUSED = "refused"  # Asterisk refused it, or we never sent it: nothing rang
    COMPLETED = "completed"  # a CDR summary exists


class DialStatus(StrEnum):
    """The seed's ``dial_status``: Asterisk's DIALSTATUS, plus DND for a campaign contact
    that was never dialled. A StrEnum so it is stored, compared and rendered as the bare
    string the API has always answered."""

    ANSWER = "ANSWER"
    BUSY = "BUSY"
    NOANSWER = "NOANSWER"
    CANCEL = "CANCEL"
    CONGESTION = "CONGESTION"
    CHANUNAVAIL = "CHANUNAVAIL"
    DND = "DND"


class CallStatus(StrEnum):
    """The seed's ``call_status``: the CDR disposition Asterisk wrote for the deciding leg."""

    ANSWERED = "ANSWERED"
    BUSY = "BUSY"
    NO_ANSWER = "NO ANSWER"
    CONGESTION = "CONGESTION"
    FAILED = "FAILED"


# Asterisk names a channel ``<epoch>.<sequence>`` ("1688448695.804"), and CRMs match the
# CDR's uniqueid against the PBX's own records, so ours take that form too. The sequence
# carries the request: "9", then 13 digits of 2 * the request_id read as a number (+1 for
# the far half of a Local pair). Asterisk's own counter would need 9e13 channels before
# it reached that range, and the request_id is unique, so the id is unique across
# restarts and PBXs while any event of the call still names its request.
_MARK = "9"
_DIGITS = 13


def channel_id_for(request_id: str, epoch: int | None = None) -> str:
    """The Uniqueid we ask Asterisk to give the originated channel (Originate ChannelId).

    Its Linkedid is inherited by every leg of the call, so the first Newchannel already
    tells us which request (and account) an event belongs to, even after a restart.
    """
    stamp = int(time.time()) if epoch is None else epoch
    return f"{stamp}.{_MARK}{int(request_id, 16) * 2:0{_DIGITS}d}"


def other_channel_id(channel_id: str) -> str:
    """The Originate's OtherChannelId: the far (``;2``) half of a Local pair."""
    epoch, _, sequence = channel_id.partition(".")
    return f"{epoch}.{_MARK}{int(sequence[1:]) + 1:0{_DIGITS}d}"


def _sequence(uniqueid: str) -> int | None:
    epoch, dot, sequence = uniqueid.partition(".")
    if (
        dot
        and epoch.isascii()
        and epoch.isdigit()
        and len(sequence) == _DIGITS + 1
        and sequence.startswith(_MARK)
        and sequence.isascii()
        and sequence.isdigit()
    ):
        return int(sequence[1:])
    return None


def request_id_from_uniqueid(uniqueid: str) -> str | None:
    """Inverse of :func:`channel_id_for` (also for the far half of a Local pair)."""
    sequence = _sequence(uniqueid)
    return None if sequence is None else f"{sequence // 2:010x}"


def is_originated_leg(uniqueid: str) -> bool:
    """Whether this is the Originate's own channel (not the far half of its Local pair)."""
    sequence = _sequence(uniqueid)
    return sequence is not None and sequence % 2 == 0


@dataclass(frozen=True)
class CallRequest:
    """Everything needed to place one call; numbers are already validated."""

    request_id: str
    account_id: str
    kind: CallKind
    channel: str  # dial string of the first (originated) leg
    context: str
    exten: str
    caller_id: str
    variables: dict[str, str] = field(default_factory=dict)
    agent_number: str = ""
    customer_number: str = ""
    dialed_number: str = ""
    campaign_id: str | None = None
    list_id: str | None = None
    contact_id: int | None = None
    recording_name: str = ""
    channel_id: str = ""  # minted from request_id and the time when left empty
    outbound_number: str = ""
    """Dialled through the outbound template of the PBX the call is placed on, which
    becomes ``channel`` (empty: ``channel`` is used as given)."""
    outbound_variables: Mapping[str, str] = field(default_factory=dict)
    """Channel variables holding a number dialled the same way (``CPAAS_DEST_DIAL``)."""
    pbx_id: str = DEFAULT_PBX_ID
    """The PBX it is placed on (set by the pool's choice)."""

    def __post_init__(self) -> None:
        if not self.channel_id:
            object.__setattr__(self, "channel_id", channel_id_for(self.request_id))
