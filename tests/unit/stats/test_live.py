"""Live counters (LCT, RCMPID, RC, LIVR, LDID) from the tracker and the calls' rows."""

from __future__ import annotations

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.model import CallKind, channel_id_for
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.stats.live import LiveCounters
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.store.db import Database
from tests.unit.stats.conftest import UTC_DAY, CallWriter, LineWriter, at


def channel(name: str, uniqueid: str, linkedid: str) -> dict[str, str]:
    return {"Event": "CoreShowChannel", "Channel": name, "Uniqueid": uniqueid, "Linkedid": linkedid}


async def test_live_calls_by_type_campaign_queue_and_did(
    db: Database, add_call: CallWriter, add_lines: LineWriter
) -> None:
    # Request ids are 0000000001.. in insertion order (see the add_call fixture).
    await add_call("acme", "c2c", at(9))  # 1: live click2call (two legs)
    await add_call("acme", "campaign", at(9), campaign_id="C1")  # 2: live campaign call
    await add_call("acme", "inbound", at(9), dialed_number="5550100")  # 3: waiting in sales
    await add_call("globex", "otp", at(9))  # 4: another account's live call
    await add_call("acme", "c2c", at(9))  # 5: registered but already hung up
    await add_lines(f"{int(at(9).timestamp())}|in.3|sales|NONE|ENTERQUEUE||0611|1")
    tracker = CallTracker(EventBus(), Metrics())
    for number, kind, account in (
        (1, CallKind.C2C, "acme"),
        (2, CallKind.CAMPAIGN, "acme"),
        (4, CallKind.OTP, "globex"),
        (5, CallKind.C2C, "acme"),
    ):
        tracker.register(RequestInfo(f"{number:010x}", account, kind))
    tracker.link("in.1", RequestInfo(f"{3:010x}", "acme", CallKind.INBOUND))
    tracker.reset(
        [
            channel(
                "Local/1@x-1;1",
                channel_id_for(f"{1:010x}", 1_700_000_000),
                channel_id_for(f"{1:010x}", 1_700_000_000),
            ),
            channel("Local/1@x-1;2", "u.2", channel_id_for(f"{1:010x}", 1_700_000_000)),
            channel(
                "Local/2@x-1;1",
                channel_id_for(f"{2:010x}", 1_700_000_000),
                channel_id_for(f"{2:010x}", 1_700_000_000),
            ),
            channel("Local/5550100@in;1", "in.1", "in.1"),
            channel("Local/5550100@in;2", "in.3", "in.1"),  # ran Queue(): the queue callid
            channel(
                "Local/4@x-1;1",
                channel_id_for(f"{4:010x}", 1_700_000_000),
                channel_id_for(f"{4:010x}", 1_700_000_000),
            ),
        ]
    )
    got = await LiveCounters(db, tracker).counters("acme", CounterQuery(UTC_DAY))
    assert got == {
        "LCT": {"OBD": 1, "BRD": 1, "IBD": 1},  # two legs are one call; globex's OTP is out
        "RCMPID": {"C1": 1},
        "RC": 1,
        "LIVR": {"sales": 1},
        "LDID": {"5550100": 1},
    }
    campaign_only = CounterQuery(UTC_DAY, campaigns=frozenset({"C1"}))
    assert (await LiveCounters(db, tracker).counters("acme", campaign_only))["LCT"] == {"BRD": 1}
