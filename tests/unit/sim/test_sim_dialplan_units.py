"""Unit tests of the dialplan loader and the expression evaluator."""

from __future__ import annotations

import pytest

from cpaas_daemon.sim.dialplan import Dialplan
from cpaas_daemon.sim.expr import evaluate, substitute
from cpaas_daemon.sim.protocol import format_frame, parse_frame, to_action, variables
from cpaas_daemon.sim.server import REPO_DIALPLAN, SIM_DIR

VARS = {"EXTEN": "1007", "SIM_WAIT": "", "CPAAS_I": "1", "CPAAS_REPEAT": "2"}


def expand(text: str) -> str:
    """Substitute with a fixed variable table and IF() only."""

    def call(name: str, args: str) -> str:
        cond, _, branches = args.partition("?")
        yes, _, no = branches.partition(":")
        return yes if cond not in ("", "0") else no

    return substitute(text, lambda name: VARS.get(name, ""), call)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${EXTEN:-1}", "7"),
        ("${EXTEN:1}", "007"),
        ("${EXTEN:0:2}", "10"),
        ('$["${EXTEN:-1}" = "7"]?dtmf', "1?dtmf"),
        ('$["${EXTEN:-1}" = "4"]?busy', "0?busy"),
        ('${IF($["${SIM_WAIT}" = ""]?3:${SIM_WAIT})}', "3"),
        ("$[${CPAAS_I} + 1]", "2"),
        ("$[${CPAAS_I} < ${CPAAS_REPEAT}]", "1"),
        ('$["a" != "b"]', "1"),
    ],
)
def test_substitution_matches_asterisk(text: str, expected: str) -> None:
    """The constructs the shipped dialplans use, with the AppData Asterisk showed."""
    assert expand(text) == expected


def test_evaluate_precedence() -> None:
    """Arithmetic binds tighter than comparison, comparison tighter than & and |."""
    assert evaluate("1 + 2 * 3 = 7 & 1") == "1"


def test_loads_both_shipped_dialplans() -> None:
    """Priorities (n), labels and patterns from sim.conf and the daemon's file."""
    plan = Dialplan.load([SIM_DIR / "sim.conf", REPO_DIALPLAN], {"CPAAS_AGI": "agi://x:1"})
    ext = plan.find("sim-endpoints", "5550101")
    assert ext is not None
    assert ext.steps[1][0] == "NoOp"
    assert ext.steps[ext.labels["busy"]] == ("Busy", "10")
    assert plan.find("agents", "201") is not plan.find("agents", "301")
    assert plan.find("agents", "401") is None
    assert plan.find("cpaas-click2call", "+33612345678") is not None
    assert plan.globals["CPAAS_AGI"] == "agi://x:1"
    assert plan.exists("cpaas-otp", "s")
    assert not plan.exists("no-such-context", "1001")


def test_frames_round_trip() -> None:
    """Empty values keep the trailing space; Variable repeats and may hold several pairs."""
    assert (
        format_frame([("Response", "Success"), ("AccountCode", "")])
        == b"Response: Success\r\nAccountCode: \r\n\r\n"
    )
    action = to_action(parse_frame(b"Action: Originate\r\nVariable: A=1\r\nVariable: B=2,C=3"))
    assert variables(action) == [("A", "1"), ("B", "2"), ("C", "3")]
