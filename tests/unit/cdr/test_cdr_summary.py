"""Per-leg CDRs from real Asterisk traces summarise into the seed's one record per call."""

from __future__ import annotations

import pytest

from cpaas_daemon.calls.model import CallKind, channel_id_for, other_channel_id
from cpaas_daemon.cdr.ingest import leg_key, leg_request_id
from cpaas_daemon.cdr.summary import summarise
from tests.fixtures import cdr_rows

RID = "0123456789"


def legs_as_stored(scenario: str, originated_uniqueid: str) -> list[dict[str, object]]:
    """The trace's legs, with the originated leg carrying our ChannelId as Asterisk would."""
    legs = []
    for row in cdr_rows(scenario):
        if row["UniqueID"] == originated_uniqueid:
            row["UniqueID"] = channel_id_for(RID, 1_700_000_000)
        legs.append(
            {
                "uniqueid": row["UniqueID"],
                "userfield": row["UserField"],
                "last_application": row["LastApplication"],
                "disposition": row["Disposition"],
                "start_time": row["StartTime"],
                "answer_time": row["AnswerTime"] or None,
                "end_time": row["EndTime"],
                "duration": int(row["Duration"]),
                "billsec": int(row["BillableSeconds"]),
            }
        )
    return legs


@pytest.mark.parametrize(
    ("scenario", "originated", "kind", "dial_status", "call_status", "billsec"),
    [
        ("originate_async_answered", "1795363306.0", CallKind.C2C, "ANSWER", "ANSWERED", 3),
        ("originate_destination_busy", "1795363331.10", CallKind.C2C, "BUSY", "BUSY", 0),
        ("originate_async_busy", "1795363313.4", CallKind.C2C, "BUSY", "BUSY", 0),
        ("originate_async_failed", "1795363359.18", CallKind.C2C, "CHANUNAVAIL", "FAILED", 0),
        ("otp_call", "1795363384.28", CallKind.OTP, "ANSWER", "ANSWERED", 7),
        ("pjsip_originate_answered", "1795363531.92", CallKind.C2C, "ANSWER", "ANSWERED", 3),
    ],
)
def test_trace_summaries(
    scenario: str,
    originated: str,
    kind: CallKind,
    dial_status: str,
    call_status: str,
    billsec: int,
) -> None:
    summary = summarise(RID, kind, legs_as_stored(scenario, originated))
    assert summary is not None
    assert (summary.dial_status, summary.call_status, summary.billsec) == (
        dial_status,
        call_status,
        billsec,
    )
    assert summary.uniqueid == channel_id_for(RID, 1_700_000_000)


def test_agent_answered_but_dial_cdr_not_yet_in_waits() -> None:
    legs = [
        leg
        for leg in legs_as_stored("originate_destination_busy", "1795363331.10")
        if leg["last_application"] != "Dial"
    ]
    assert summarise(RID, CallKind.C2C, legs) is None


def test_legs_of_someone_else_do_not_summarise() -> None:
    assert summarise(RID, CallKind.C2C, legs_as_stored("originate_async_answered", "x")) is None


def test_leg_identity() -> None:
    rows = cdr_rows("originate_destination_busy")
    keys = {leg_key(row) for row in rows}
    assert len(keys) == len(rows)  # the ;1 leg's two CDRs stay distinct
    assert leg_key(dict(rows[0])) == leg_key(rows[0])
    assert leg_request_id({"UserField": RID, "UniqueID": "1.2"}) == RID
    assert (
        leg_request_id(
            {"UserField": "", "UniqueID": other_channel_id(channel_id_for(RID, 1_700_000_000))}
        )
        == RID
    )
    assert leg_request_id({"UserField": "note", "UniqueID": "1795363306.1"}) is None
