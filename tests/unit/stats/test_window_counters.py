"""Each window counter and Field of Ecounters on a hand-made day of calls.

The day (2026-11-22, UTC) of account acme, numbered as the comments below use them:

 #  kind      number created outcome    details
 1  c2c       111    09:00  connected  ANSWER billsec 30, duration 40  (ring 10)
 2  c2c       111    10:00  missed     NOANSWER, duration 20           (ring 20)
 3  c2c       222    10:30  connected  ANSWER billsec 3, duration 8    (ring 5, short)
 4  otp       333    11:00  ghost      Originate refused, no CDR
 5  campaign  444    11:30  connected  C1, ANSWER billsec 12, dur 15, DTMF "1" (ring 3)
 6  campaign  555    12:00  missed     C1, BUSY, duration 0            (ring 0)
 7  campaign  444    12:30  dnd        C2, DND
 8  inbound   666    13:00  connected  DID 5550100, queue answered, wait 7, talk 40, TRANSFER
 9  inbound   666    14:00  missed     DID 5550100, queue abandoned, wait 20 (CDR ANSWER)
10  inbound   777    15:00  pending    DID 5550200, no CDR yet
11  c2c       888    16:00  connected  ANSWER billsec 60, duration 65, transferred leg (ring 5)
12  campaign  999    16:30  connected  C1, ANSWER billsec 9, duration 10, DTMF "2x" (ring 1)
13  c2c       222    17:00  connected  ANSWER billsec 10, duration 12  (ring 2)

plus acme's call at 2026-11-21 23:59 UTC (outside the UTC day, inside Kolkata's) and a
globex call (another account) that must never count.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.stats.fields import field_counters
from cpaas_daemon.stats.history import base_counters, window_totals
from cpaas_daemon.stats.query import CounterQuery, parse_query
from cpaas_daemon.stats.window import Window
from cpaas_daemon.store.db import Database
from tests.unit.stats.conftest import DAY, UTC_DAY, CallWriter, LineWriter, at

ALL_FIELDS = (
    "UC", "TC", "MC", "AC", "CM", "PM", "CA", "FR_CAN_FR_PM_N", "GH_UC", "FR_UC", "FR_CM",
    "FR_PM", "FR_CA", "FR_GH_UC", "FR_GH_N", "FR_UC_N", "FR_CM_N", "FR_PM_N", "FR_CA_N",
    "avgRingTime", "avgHoldTime", "ringTime", "holdTime", "actualTT", "avgTalkTime",
)  # fmt: skip


@pytest.fixture
async def day(db: Database, add_call: CallWriter, add_lines: LineWriter) -> Database:
    c2c, otp, cmp, inb = "c2c", "otp", "campaign", "inbound"
    ok = {"dial_status": "ANSWER"}
    await add_call("acme", c2c, at(9), customer_number="111", billsec=30, call_duration=40, **ok)
    await add_call(
        "acme", c2c, at(10), customer_number="111", dial_status="NOANSWER", call_duration=20
    )
    await add_call("acme", c2c, at(10, 30), customer_number="222", billsec=3, call_duration=8, **ok)
    await add_call("acme", otp, at(11), customer_number="333", state="refused")
    await add_call(
        "acme", cmp, at(11, 30), customer_number="444", campaign_id="C1", dtmf_inputs="1",
        billsec=12, call_duration=15, **ok,
    )  # fmt: skip
    await add_call(
        "acme", cmp, at(12), customer_number="555", campaign_id="C1", dial_status="BUSY",
        call_duration=0,
    )  # fmt: skip
    await add_call(
        "acme", cmp, at(12, 30), customer_number="444", campaign_id="C2", dial_status="DND"
    )
    for number, hour, uniqueid in (("666", 13, "100.8"), ("666", 14, "100.9")):
        await add_call(
            "acme", inb, at(hour), customer_number=number, dialed_number="5550100",
            uniqueid=uniqueid, billsec=50, call_duration=50, **ok,
        )  # fmt: skip
    await add_call("acme", inb, at(15), customer_number="777", dialed_number="5550200")
    await add_call("acme", c2c, at(16), customer_number="888", billsec=60, call_duration=65, **ok)
    await db.execute(
        "INSERT INTO cdr_legs (leg_key, request_id, account_code, source, destination,"
        " destination_context, caller_id, channel, destination_channel, last_application,"
        " last_data, duration, billsec, disposition, uniqueid, userfield, received_at)"
        " VALUES ('k11', '000000000b', 'acme', '', '', 'cpaas-transfer', '', '', '', 'Dial',"
        " '', 10, 10, 'ANSWERED', 'u', '', 'now')"
    )
    await add_call(
        "acme", cmp, at(16, 30), customer_number="999", campaign_id="C1", dtmf_inputs="2x",
        billsec=9, call_duration=10, **ok,
    )  # fmt: skip
    await add_call("acme", c2c, at(17), customer_number="222", billsec=10, call_duration=12, **ok)
    await add_call("acme", c2c, at(23, 59, day=21), customer_number="111", **ok)
    await add_call("globex", c2c, at(9), customer_number="111", billsec=5, **ok)
    base = int(at(13).timestamp())
    await add_lines(
        f"{base}|100.8|sales|NONE|ENTERQUEUE||666|1",
        f"{base + 7}|100.8|sales|Agent 201|CONNECT|7|100.80|2",
        f"{base + 47}|100.8|sales|Agent 201|TRANSFER|300|ctx|7|40|1",
        f"{base + 3600}|100.9|sales|NONE|ENTERQUEUE||666|1",
        f"{base + 3620}|100.9|sales|NONE|ABANDON|1|1|20",
    )
    return db


async def counters(db: Database, query: CounterQuery) -> dict[str, object]:
    totals = await window_totals(db, "acme", query)
    return {**base_counters(totals), **await field_counters(db, "acme", query, totals)}


async def test_window_counters_match_the_hand_count(day: Database) -> None:
    got = await counters(day, CounterQuery(UTC_DAY))
    assert got == {
        "cBl": 0,  # no prepaid balance in a self-hosted PBX
        "CT": {"CTC": 5, "OTP": 1, "CMP": 4, "INB": 3},  # c2c 1,2,3,11,13; otp 4; ...
        # 1 pending (#10), 2 ghost (#4), 3 ANSWER (1,3,5,8,9,11,12,13: #9's IVR answered),
        # 4 NOANSWER (#2), 5 BUSY (#6), 9 DND (#7)
        "CST": {"1": 1, "2": 1, "3": 8, "4": 1, "5": 1, "9": 1},
        "CMPID": {"C1": 3, "C2": 1},  # 5, 6, 12 | 7
        "DID": {"5550100": 2, "5550200": 1},  # inbound 8, 9 | 10
        "DTMF": {"1": 1, "2": 1},  # first key of #5 "1" and #12 "2x"
        "DTMFV": {"1": 1, "2x": 1},
        "DTMFI": {"C1": 2},  # both inputs were in campaign C1
        "DTMFINV": {"2x": 1},  # "x" is not a keypad key
        "GHC": 1,  # 4
        "FWC": 2,  # inbound that queued: 8, 9 (10 has no queue call)
        "TRSC": 2,  # 8 (queue TRANSFER), 11 (leg in cpaas-transfer)
        "MC": 3,  # 2, 6, 9
        "ucBl": 0,
        "TC": 13,  # the 21st and globex's call are out
        "repeatCall": 4,  # 13 calls from 9 distinct numbers
        "freshCall": 9,
        "CHSR": 1,  # 3 talked 3 s < 5
        "CNC": 7,  # 1, 3, 5, 8, 11, 12, 13
    }


async def test_fields_match_the_hand_count(day: Database) -> None:
    got = await field_counters(
        day, "acme", CounterQuery(UTC_DAY, fields=ALL_FIELDS),
        await window_totals(day, "acme", CounterQuery(UTC_DAY)),
    )  # fmt: skip
    # Per number: 111 connected+missed (PM, retry missed), 222 connected twice (CA, retry
    # connected), 333 ghost, 444 connected+dnd (CA, retry dnd), 555 missed (CM),
    # 666 connected+missed (PM, retry missed), 777 pending, 888 and 999 connected (CA).
    assert got == {
        "UC": 9,
        "TC": 13,
        "MC": 3,
        "AC": 7,
        "CM": 1,  # 555
        "PM": 2,  # 111, 666
        "CA": 4,  # 222, 444, 888, 999
        "FR_CAN_FR_PM_N": 1,  # #13 is the only retry that connected
        "GH_UC": 1,  # 333
        "FR_UC": 4,  # 111, 222, 444, 666 called more than once
        "FR_CM": 0,
        "FR_PM": 2,  # 111, 666
        "FR_CA": 2,  # 222, 444
        "FR_GH_UC": 0,
        "FR_GH_N": 0,
        "FR_UC_N": 4,  # one retry each
        "FR_CM_N": 0,
        "FR_PM_N": 2,  # retries of 111 and 666
        "FR_CA_N": 2,  # retries of 222 and 444
        "avgRingTime": 4.6,  # 46 s over the 10 calls with a CDR
        "avgHoldTime": 13.5,  # (7 + 20) / 2 queued calls
        "ringTime": 46,  # 10+20+5+3+0+0+0+5+1+2 (inbound rings 0: the IVR answers)
        "holdTime": 27,
        "actualTT": 164,  # 30+3+12+40 (queue talk of #8)+60+9+10
        "avgTalkTime": 23.43,  # 164 / 7
    }


async def test_call_type_filter_keeps_only_inbound(day: Database) -> None:
    query = parse_query([{"type": "callType", "value": ["IBD"]}], None, ZoneInfo("UTC"))
    got = await counters(day, CounterQuery(UTC_DAY, kinds=query.kinds))
    assert (got["TC"], got["CNC"], got["MC"], got["CT"]) == (3, 1, 1, {"INB": 3})
    assert query.kinds == frozenset({CallKind.INBOUND})


async def test_campaign_filter_keeps_only_that_campaign(day: Database) -> None:
    got = await counters(day, CounterQuery(UTC_DAY, campaigns=frozenset({"C1"})))
    # 5 connected, 6 missed, 12 connected
    assert (got["TC"], got["CNC"], got["MC"], got["CMPID"]) == (3, 2, 1, {"C1": 3})


async def test_the_window_is_local_days_of_the_zone(day: Database) -> None:
    """Kolkata's 22nd starts at 21st 18:30 UTC: it adds the 23:59 UTC call of the 21st."""
    kolkata = Window.days(DAY, DAY, ZoneInfo("Asia/Kolkata"))
    assert (await counters(day, CounterQuery(kolkata)))["TC"] == 14


async def test_an_empty_window_counts_zero(day: Database) -> None:
    empty = Window.days(date(2026, 1, 1), date(2026, 1, 1), ZoneInfo("UTC"))
    got = await counters(day, CounterQuery(empty, fields=("avgTalkTime", "UC")))
    assert (got["TC"], got["CT"], got["avgTalkTime"], got["UC"]) == (0, {}, 0, 0)
