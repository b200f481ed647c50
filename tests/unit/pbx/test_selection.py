"""Where an originate goes: a healthy PBX with room, the least loaded, ties to the first
configured; and how a PBX's load is counted from its AMI events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon.ami.bus import PBX_KEY, EventBus, PbxEvents
from cpaas_daemon.calls.model import CallKind, CallRequest, channel_id_for
from cpaas_daemon.calls.placement import NotSent
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.config import ConfigError, PbxConfig, load_config
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.pbx.pool import Pbx, PbxPool, choose


class Link:
    """An AMI client's health, as the pool reads it."""

    def __init__(self, connected: bool) -> None:
        self.connected = connected


def pbx(pbx_id: str, healthy: bool = True, max_channels: int | None = None) -> Pbx:
    client: Any = Link(healthy)
    return Pbx(
        config=PbxConfig(id=pbx_id, max_channels=max_channels),
        client=client,
        outbound_template=f"PJSIP/{{number}}@{pbx_id}-trunk",
        extension_template="PJSIP/{number}",
    )


def loads(**by_id: int) -> Any:
    return lambda pbx_id: by_id.get(pbx_id, 0)


def test_least_loaded_healthy_pbx_with_room_wins_and_ties_go_to_the_first() -> None:
    a, b, c = pbx("a", max_channels=2), pbx("b"), pbx("c", healthy=False)
    assert choose([a, b, c], loads()) is a  # a tie: the first configured
    assert choose([a, b, c], loads(a=1)) is b
    assert choose([a, b, c], loads(a=1, b=1)) is a
    assert choose([a, b, c], loads(a=2, b=5)) is b  # a is full; b has no limit
    assert choose([a, c], loads(a=2)) is None  # c has room but is down
    assert choose([c], loads()) is None


def test_no_pbx_connected_keeps_the_single_pbx_message_and_a_full_pool_says_so() -> None:
    with pytest.raises(NotSent, match=r"^PBX is not connected; no call was placed$"):
        PbxPool([pbx("a", healthy=False)], loads()).route("0000000001")
    with pytest.raises(NotSent, match="every connected PBX is at its max_channels"):
        PbxPool([pbx("a", max_channels=1), pbx("b", False)], loads(a=1)).route("0000000001")


def test_a_routed_call_dials_through_its_pbx_trunk_and_names_it() -> None:
    call = CallRequest(
        request_id="0000000001",
        account_id="acme",
        kind=CallKind.C2C,
        channel="",
        context="cpaas-click2call",
        exten="918000680020",
        caller_id="",
        variables={"CPAAS_RING_TIMEOUT": "30"},
        outbound_number="919979270010",
        outbound_variables={"CPAAS_DEST_DIAL": "918000680020"},
    )
    routed = pbx("east").routed(call)
    assert routed.channel == "PJSIP/919979270010@east-trunk"
    assert routed.variables == {
        "CPAAS_RING_TIMEOUT": "30",
        "CPAAS_DEST_DIAL": "PJSIP/918000680020@east-trunk",
    }
    assert routed.pbx_id == "east"


def newchannel(pbx_id: str, name: str, uniqueid: str, linkedid: str) -> dict[str, str]:
    return {
        "Event": "Newchannel", "Channel": name, "Uniqueid": uniqueid, "Linkedid": linkedid,
        "ChannelStateDesc": "Down", PBX_KEY: pbx_id,
    }  # fmt: skip


def test_load_counts_calls_being_placed_then_live_calls_per_pbx() -> None:
    bus = EventBus()
    tracker = CallTracker(bus, Metrics())
    first = f"{1:010x}"
    tracker.register(RequestInfo(first, "acme", CallKind.C2C), "a")
    assert (tracker.load("a"), tracker.load("b")) == (1, 0)  # sent, no channel yet
    ours = channel_id_for(first, 1_700_000_000)
    bus.publish(newchannel("a", "Local/1@x-1;1", ours, ours))
    bus.publish(newchannel("a", "Local/1@x-1;2", "u.2", ours))  # same call, second leg
    assert tracker.load("a") == 1
    # PBX b's own channels: same names and Uniqueids as a's would be, another call.
    bus.publish(newchannel("b", "SIP/x-01", "1700000000.1", "1700000000.1"))
    bus.publish(newchannel("a", "SIP/x-01", "1700000000.1", "1700000000.1"))
    assert (tracker.load("a"), tracker.load("b")) == (2, 1)
    bus.publish({"Event": "Hangup", "Uniqueid": "1700000000.1", PBX_KEY: "b"})
    assert (tracker.load("a"), tracker.load("b")) == (2, 0)
    assert tracker.channel("SIP/x-01") is not None  # a's is still up
    tracker.reset([], "a")  # a reconnected with nothing up; b untouched
    bus.publish(newchannel("b", "SIP/x-02", "1700000000.2", "1700000000.2"))
    assert (tracker.load("a"), tracker.load("b")) == (0, 1)


def test_a_call_being_placed_stops_counting_when_its_originate_fails_or_its_link_drops() -> None:
    bus = EventBus()
    tracker = CallTracker(bus, Metrics())
    failed, lost, other = f"{1:010x}", f"{2:010x}", f"{3:010x}"
    for request_id, pbx_id in ((failed, "a"), (lost, "b"), (other, "b")):
        tracker.register(RequestInfo(request_id, "acme", CallKind.C2C), pbx_id)
    assert (tracker.load("a"), tracker.load("b")) == (1, 2)
    # An unregistered PJSIP endpoint: Asterisk fails the Originate without a channel.
    bus.publish(
        {"Event": "OriginateResponse", "Response": "Failure", "Reason": "0",
         "ActionID": f"cpaas-1-0001-7.{failed}", PBX_KEY: "a"}
    )  # fmt: skip
    assert tracker.load("a") == 0
    tracker.placed(lost)  # sent, then the link dropped: no answer will come
    assert tracker.load("b") == 1
    tracker.reset([], "b")  # b logged in again: its listing is the truth
    assert tracker.load("b") == 0


def test_pbx_ids_are_safe_identifiers_and_distinct(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pbx\.0\.id"):
        load_config(None, environ={}, overrides={"pbx": [{"id": "East'; DROP"}]})
    with pytest.raises(ConfigError, match="distinct"):
        load_config(None, environ={}, overrides={"pbx": [{"id": "a"}, {"id": "a"}]})
    with pytest.raises(ConfigError, match=r"pbx\.0\.outbound_template"):
        load_config(None, environ={}, overrides={"pbx": [{"id": "a", "outbound_template": "x"}]})


def test_without_pbx_entries_the_single_pbx_config_is_pbx_default(tmp_path: Path) -> None:
    config = load_config(
        None,
        environ={},
        overrides={"ami": {"port": 5039}, "cdr": {"csv_path": str(tmp_path / "Master.csv")}},
    )
    [only] = config.pbxes()
    assert (only.id, only.ami.port, only.max_channels) == ("default", 5039, None)
    assert only.cdr_csv_path == tmp_path / "Master.csv"
    assert only.queue_log_path is None


def test_each_pbx_door_stamps_its_own_pbx_on_the_shared_bus() -> None:
    bus, seen = EventBus(), []
    bus.subscribe(seen.append, "Newchannel")
    east, west = PbxEvents(bus, "east"), PbxEvents(bus, "west")
    assert east.wants("Newchannel")
    assert not east.wants("VarSet")
    east.publish({"Event": "Newchannel", "Uniqueid": "1.1"})
    west.publish({"Event": "Newchannel", "Uniqueid": "1.1"})
    assert seen == [
        {"Event": "Newchannel", "Uniqueid": "1.1", PBX_KEY: "east"},
        {"Event": "Newchannel", "Uniqueid": "1.1", PBX_KEY: "west"},
    ]
