"""The parser reads every line Asterisk 22 wrote in the fixtures, with its durations."""

from __future__ import annotations

import pytest

from cpaas_daemon.queue_log.parser import parse_line
from tests.fixtures import ASTERISK

FIXTURE_FILES = sorted(ASTERISK.glob("*queue_log.txt"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.name)
def test_every_fixture_line_parses_back_to_its_fields(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        parsed = parse_line(line)
        assert parsed is not None, line
        fields = line.split("|")
        assert (
            str(parsed.epoch),
            parsed.callid,
            parsed.queue,
            parsed.agent,
            parsed.event,
        ) == tuple(fields[:5])
        assert "|".join(parsed.data) == "|".join(fields[5:]).rstrip("|")


@pytest.mark.parametrize(
    ("line", "wait", "talk", "ring"),
    [
        ("1795363404|c|sales|Agent 201|CONNECT|7|1795363404.36|3", 7, None, 3),
        ("1795363409|c|sales|Agent 201|COMPLETEAGENT|0|5|1", 0, 5, None),
        ("1795363419|c|sales|Agent 202|COMPLETECALLER|2|6|1", 2, 6, None),
        ("1795363428|c|support|Agent 301|RINGNOANSWER|5000", None, None, 5),
        ("1795363494|c|support|Agent 301|RINGCANCELED|2977", None, None, 3),
        ("1795363437|c|support|NONE|ABANDON|1|1|14", 14, None, None),
        ("1|c|q|NONE|EXITWITHTIMEOUT|2|1|60", 60, None, None),
        ("1|c|q|NONE|EXITEMPTY|1|1|3", 3, None, None),
        ("1|c|q|NONE|EXITWITHKEY|5|1|1|9", 9, None, None),
        ("1|c|q|Agent 1|TRANSFER|300|ctx|4|50|1", 4, 50, None),
        ("1|c|q|Agent 1|BLINDTRANSFER|300|ctx|4|50|1", 4, 50, None),
        ("1|c|q|Agent 1|ATTENDEDTRANSFER|LINK|chanA|chanB|4|50|1", 4, 50, None),
    ],
)
def test_durations_come_from_the_field_each_event_uses(line, wait, talk, ring):
    parsed = parse_line(line)
    assert parsed is not None
    assert (parsed.wait, parsed.talk, parsed.ring) == (wait, talk, ring)


@pytest.mark.parametrize(
    "line",
    [
        "1|c|q|NONE|DID|5550100",
        "1|c|q|NONE|INFO|IVR|menu 1",
        "1|NONE|q|Agent 1|PAUSEALL|",
        "1|NONE|q|Agent 1|UNPAUSEALL|",
        "1|NONE|q|Local/1@a|AGENTLOGIN|Local/1@a",
        "1|NONE|q|Local/1@a|AGENTLOGOFF|Local/1@a|3600",
        "1795363557|NONE|NONE|NONE|QUEUESTART|",
        "1795363646|NONE|NONE|NONE|CONFIGRELOAD|",
        "1795363514|manual-1|sales|Local/203@agents/n|CPAASMARK|hello from AMI",
    ],
)
def test_non_call_and_custom_events_are_kept_verbatim(line):
    parsed = parse_line(line)
    assert parsed is not None
    assert "|".join([str(parsed.epoch), *parsed[2:6], *parsed.data]) == line.rstrip("|")


def test_data_beyond_five_fields_is_kept_in_extra():
    parsed = parse_line("1|c|q|a|CUSTOM|1|2|3|4|5|6|7")
    assert parsed is not None
    assert (parsed.data5, parsed.extra, parsed.data) == ("5", "6|7", tuple("1234567"))


@pytest.mark.parametrize("line", ["", "garbage", "x|c|q|a|EVENT|1", "1|c|q|a||1", "1|c|q|a"])
def test_lines_that_are_not_queue_log_lines_are_rejected(line):
    assert parse_line(line) is None
