"""Turn a request's per-leg CDRs into the one record the seed's CDR API returns.

Asterisk writes one CDR per channel leg (and one more per Dial a leg makes). For a call
we placed, the legs that matter are:

* the originated leg itself (the Uniqueid :func:`channel_id_for` minted; for an inbound
  call, the leg whose UserField the dialplan set to the request_id): did the first party
  (agent, OTP or campaign customer, inbound caller) answer?
* its ``Dial`` CDR, for click-to-call and callbacks: did the destination answer, and
  for how long did they talk (``billsec``)?

The far halves of Local channels (the Originate's OtherChannelId) and the destination's
own legs are kept in ``cdr_legs`` but do not change the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cpaas_daemon.calls.model import (
    CallKind,
    CallStatus,
    DialStatus,
    is_originated_leg,
    request_id_from_uniqueid,
)

# CDR disposition -> Asterisk DIALSTATUS, the seed's dial_status.
DIAL_STATUS: dict[str, DialStatus] = {
    CallStatus.ANSWERED: DialStatus.ANSWER,
    CallStatus.BUSY: DialStatus.BUSY,
    CallStatus.NO_ANSWER: DialStatus.NOANSWER,
    CallStatus.CONGESTION: DialStatus.CONGESTION,
    CallStatus.FAILED: DialStatus.CHANUNAVAIL,
}


class Leg(Protocol):
    """A stored leg: an ``Row`` of cdr_legs, or a dict with the same keys."""

    def __getitem__(self, key: str) -> Any: ...


@dataclass(frozen=True)
class CdrSummary:
    call_date: str | None
    answer: str | None
    end_time: str | None
    call_duration: float
    billsec: float
    # A DialStatus / CallStatus member, or the raw disposition when Asterisk wrote one
    # neither enum knows (kept as written rather than dropped).
    dial_status: str
    call_status: str
    uniqueid: str


def summarise(request_id: str, kind: CallKind, legs: Sequence[Leg]) -> CdrSummary | None:
    """The summary, or None while the deciding leg has not been reported yet."""
    own = [
        leg
        for leg in legs
        if (
            is_originated_leg(leg["uniqueid"])
            and request_id_from_uniqueid(leg["uniqueid"]) == request_id
        )
        or (kind is CallKind.INBOUND and leg["userfield"] == request_id)
    ]
    dials = [leg for leg in own if leg["last_application"] == "Dial"]
    if not own:
        return None
    two_party = kind in (CallKind.C2C, CallKind.CALLBACK)
    deciding = dials[-1] if two_party and dials else own[0]
    first_leg_answered = any(leg["disposition"] == CallStatus.ANSWERED for leg in own)
    if two_party and not dials and first_leg_answered:
        # The agent answered but the Dial's own CDR has not arrived yet.
        return None
    starts = [leg["start_time"] for leg in own if leg["start_time"]]
    ends = [leg["end_time"] for leg in own if leg["end_time"]]
    return CdrSummary(
        call_date=min(starts) if starts else None,
        answer=deciding["answer_time"],
        end_time=max(ends) if ends else None,
        call_duration=float(max(leg["duration"] for leg in own)),
        billsec=float(deciding["billsec"]),
        dial_status=DIAL_STATUS.get(deciding["disposition"], deciding["disposition"]),
        call_status=deciding["disposition"],
        uniqueid=own[0]["uniqueid"],
    )
