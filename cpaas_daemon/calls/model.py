"""What a call request is, independent of HTTP and AMI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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


CHANNEL_ID_PREFIX = "cpaas-"


def channel_id_for(request_id: str) -> str:
    """The Uniqueid we ask Asterisk to give the originated channel (Originate ChannelId).

    Its Linkedid is inherited by every leg of the call, so the first Newchannel already
    tells us which request (and account) an event belongs to, even after a restart.
    """
    return f"{CHANNEL_ID_PREFIX}{request_id}"


def request_id_from_uniqueid(uniqueid: str) -> str | None:
    """Inverse of :func:`channel_id_for` (also for the ``-2`` half of a Local pair)."""
    if uniqueid.startswith(CHANNEL_ID_PREFIX):
        return uniqueid[len(CHANNEL_ID_PREFIX) : len(CHANNEL_ID_PREFIX) + 10]
    return None


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
