"""Agent dashboard counters and login state, hand-counted from queue_log lines.

acme's DIDs go to queue ``sales``, globex's to ``support``. Agent ids follow first
appearance of a member name: Agent 201 -> 1, Agent 202 -> 2, Agent 203 -> 3, 301 -> 4.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from cpaas_daemon.stats.agent_login import MemberLine, agent_key, duration, replay
from cpaas_daemon.stats.agents import AgentDashboard
from cpaas_daemon.stats.errors import AgentNotFound, AgentNotLoggedIn
from cpaas_daemon.stats.member_names import MemberNames
from cpaas_daemon.store.db import Database
from tests.unit.stats.conftest import UTC_DAY, LineWriter, at

T0 = int(at(8).timestamp())
NOW = T0 + 69 * 3600 + 15 * 60 + 50  # the seed's example duration ["69", "15", "50"]


@pytest.fixture
async def dashboard(db: Database, add_lines: LineWriter) -> AgentDashboard:
    await add_lines(
        f"{T0}|MANAGER|sales|Local/201@agents/n|ADDMEMBER|",
        f"{T0 + 10}|NONE|sales|Agent 201|PAUSE|lunch",
        f"{T0 + 20}|NONE|sales|Agent 201|UNPAUSE|",
        f"{T0 + 30}|MANAGER|support|Local/201@agents/n|ADDMEMBER|",  # globex's queue
        f"{T0 + 40}|MANAGER|sales|Local/202@agents/n|ADDMEMBER|",
        f"{T0 + 50}|NONE|sales|Agent 202|PAUSE|",
        # call c1: rings 202, answered by 201 after 10 s, 60 s talk
        f"{T0 + 100}|c1|sales|NONE|ENTERQUEUE||0611|1",
        f"{T0 + 105}|c1|sales|Agent 202|RINGNOANSWER|5000",
        f"{T0 + 110}|c1|sales|Agent 201|CONNECT|10|x|5",
        f"{T0 + 170}|c1|sales|Agent 201|COMPLETECALLER|10|60|1",
        # call c2: answered by 201 after 4 s, transferred after 20 s
        f"{T0 + 200}|c2|sales|NONE|ENTERQUEUE||0612|1",
        f"{T0 + 204}|c2|sales|Agent 201|CONNECT|4|y|4",
        f"{T0 + 224}|c2|sales|Agent 201|TRANSFER|300|ctx|4|20|1",
        # call c3: rings 201 twice, abandoned
        f"{T0 + 300}|c3|sales|NONE|ENTERQUEUE||0613|1",
        f"{T0 + 305}|c3|sales|Agent 201|RINGNOANSWER|5000",
        f"{T0 + 310}|c3|sales|Agent 201|RINGNOANSWER|5000",
        f"{T0 + 315}|c3|sales|NONE|ABANDON|1|1|15",
        # 203 logs in and out again
        f"{T0 + 400}|MANAGER|sales|Local/203@agents/n|ADDMEMBER|",
        f"{T0 + 450}|NONE|sales|Agent 203|PAUSE|",
        f"{T0 + 500}|MANAGER|sales|Local/203@agents/n|REMOVEMEMBER|",
        # globex: 301 answers a support call
        f"{T0 + 600}|d1|support|NONE|ENTERQUEUE||0699|1",
        f"{T0 + 601}|d1|support|Agent 301|CONNECT|1|z|1",
    )
    return AgentDashboard(db, ZoneInfo("UTC"))


async def test_each_agent_of_the_account_with_hand_counted_counters(
    dashboard: AgentDashboard,
) -> None:
    got = await dashboard.counters("acme", window=UTC_DAY, now=NOW)
    assert got == [
        {
            "TH": 80,  # talk 60 (c1) + 20 (c2)
            "MH": 10,  # longest wait before 201 answered (c1)
            "aTT": 40,  # 80 s over 2 completed calls
            "C": 2,  # CONNECT c1, c2
            "tC": 3,  # presented c1, c2, c3 (c3 twice, counted once)
            "HT": 14,  # waits 10 + 4
            "callType": {"IBD": 2},
            "cmpId": {"sales": 2},
            "I": "1",
            "l": {"type": "Web", "duration": ["69", "15", "50"]},  # since ADDMEMBER at T0
            "ml": "No",  # support is not acme's queue, so only sales counts
            "ATT": True,  # unpaused
        },
        {
            "TH": 0, "MH": 0, "aTT": 0, "C": 0, "tC": 1, "HT": 0,  # rang for c1 only
            "callType": {}, "cmpId": {}, "I": "2",
            "l": {"type": "Web", "duration": ["69", "15", "10"]},  # logged in at T0 + 40
            "ml": "No", "ATT": False,  # paused
        },
        {
            "TH": 0, "MH": 0, "aTT": 0, "C": 0, "tC": 0, "HT": 0, "callType": {},
            "cmpId": {}, "I": "3", "l": {"type": "", "duration": ["0", "0", "0"]},
            "ml": "No", "ATT": False,  # logged out
        },
    ]  # fmt: skip


async def test_ssid_selects_one_agent_by_name_or_id(dashboard: AgentDashboard) -> None:
    by_name = await dashboard.counters("acme", "Agent 201", UTC_DAY, NOW)
    by_id = await dashboard.counters("acme", "1", UTC_DAY, NOW)
    assert by_name == by_id
    assert [a["I"] for a in by_name] == ["1"]


async def test_an_agent_that_is_logged_out_is_refused(dashboard: AgentDashboard) -> None:
    with pytest.raises(AgentNotLoggedIn):
        await dashboard.counters("acme", "Agent 203", UTC_DAY, NOW)


async def test_another_accounts_agent_does_not_exist(dashboard: AgentDashboard) -> None:
    with pytest.raises(AgentNotFound):
        await dashboard.counters("acme", "Agent 301", UTC_DAY, NOW)
    globex = await dashboard.counters("globex", window=UTC_DAY, now=NOW)
    assert [(a["I"], a["C"], a["cmpId"]) for a in globex] == [("4", 1, {"support": 1})]


def test_interface_and_member_name_meet_on_the_extension() -> None:
    assert {agent_key("Agent 203"), agent_key("Local/203@agents/n"), agent_key("PJSIP/203")} == {
        "203"
    }


def test_login_state_counts_queues_pool_and_pause_all() -> None:
    """AGENTLOGIN is a phone login to the pool; two queues make a multi-queue login."""
    lines = [
        MemberLine(100, "NONE", "Agent 7", "AGENTLOGIN"),
        MemberLine(110, "sales", "Local/7@agents", "ADDMEMBER"),
        MemberLine(120, "support", "Local/7@agents", "ADDMEMBER"),
        MemberLine(130, "NONE", "Agent 7", "PAUSEALL"),
    ]
    state = replay(lines, {"7"})["7"]
    assert (state.session_type, state.session_start, state.multi_queue) == ("Phone", 100, True)
    assert not state.available
    state.apply(MemberLine(140, "NONE", "Agent 7", "UNPAUSEALL"))
    assert state.available


def test_duration_is_hours_minutes_seconds_as_strings() -> None:
    assert duration(3 * 3600 + 61) == ["3", "1", "1"]


def test_an_interface_meets_the_member_name_ami_paired_it_with() -> None:
    """queue_log's ADDMEMBER names PJSIP/101, PAUSE names Alice: the AMI pairing joins them
    (QueueMemberAdded spells it Interface/MemberName, the QueueStatus list Location/Name)."""
    members = MemberNames()
    lines = [
        MemberLine(100, "sales", "PJSIP/101", "ADDMEMBER"),
        MemberLine(110, "sales", "Alice", "PAUSE"),
        MemberLine(120, "support", "PJSIP/102", "ADDMEMBER"),
    ]
    assert not replay(lines, {"Alice"}, members.name_of)["Alice"].logged_in
    members.learn({"Event": "QueueMemberAdded", "Interface": "PJSIP/101", "MemberName": "Alice"})
    members.learn({"Event": "QueueMember", "Location": "PJSIP/102", "Name": "Bob"})
    states = replay(lines, {"Alice", "Bob"}, members.name_of)
    assert (states["Alice"].logged_in, states["Alice"].available) == (True, False)
    assert (states["Bob"].logged_in, states["Bob"].session_type) == (True, "Web")
    assert members.name_of("PJSIP/999") == "PJSIP/999"
