"""The vendor's short codes for our call kinds and statuses, and the optional Fields.

Seed 000 names four live call types (IBD, OBD, BRD, QC) and shows ``CT: {"CTC": 2}`` and
``CST: {"3": 1, "6": 1}`` without a legend; docs/counters.md fixes the legend and this
module is the only place that knows it.
"""

from __future__ import annotations

from cpaas_daemon.calls.model import CallKind

# LCT / filter "callType": the seed's four live call types.
LIVE_TYPE = {
    CallKind.INBOUND: "IBD",
    CallKind.C2C: "OBD",
    CallKind.CALLBACK: "OBD",
    CallKind.CAMPAIGN: "BRD",
    CallKind.OTP: "QC",
}
TYPE_CODES = frozenset(LIVE_TYPE.values())


def kinds_of(type_codes: frozenset[str]) -> frozenset[CallKind]:
    return frozenset(kind for kind, code in LIVE_TYPE.items() if code in type_codes)


# CT: calls of the window by their exact kind ("CTC" is the seed's one example).
KIND_CODE = {
    CallKind.C2C: "CTC",
    CallKind.CALLBACK: "CBK",
    CallKind.OTP: "OTP",
    CallKind.CAMPAIGN: "CMP",
    CallKind.INBOUND: "INB",
}

# CST: calls of the window by status. Keys are strings, as in the seed's example.
PENDING, GHOST, DND = "pending", "ghost", "dnd"
STATUS_CODE = {
    PENDING: "1",  # no CDR yet (queued, ringing, talking)
    GHOST: "2",  # Originate refused or lost with the AMI link: never reached a dial outcome
    "ANSWER": "3",
    "NOANSWER": "4",
    "BUSY": "5",
    "CANCEL": "6",
    "CONGESTION": "7",
    "CHANUNAVAIL": "8",
    DND: "9",
}
OTHER_STATUS = "0"

# The ``Field`` array: counters added to ``message`` only when asked for.
NUMBER_FIELDS = (
    "UC", "CM", "PM", "CA", "GH_UC",
    "FR_UC", "FR_CM", "FR_PM", "FR_CA", "FR_GH_UC",
    "FR_UC_N", "FR_CM_N", "FR_PM_N", "FR_CA_N", "FR_GH_N", "FR_CAN_FR_PM_N",
)  # fmt: skip
TIME_FIELDS = ("ringTime", "avgRingTime", "holdTime", "avgHoldTime", "actualTT", "avgTalkTime")
TOTAL_FIELDS = ("TC", "MC", "AC")
FIELDS = frozenset((*NUMBER_FIELDS, *TIME_FIELDS, *TOTAL_FIELDS))
