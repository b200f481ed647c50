"""The shipped Asterisk files are loadable by a real Asterisk 20+.

No Asterisk runs here, so this checks what a load needs: every application and function
the dialplan uses is provided by a module the reference Asterisk 22 had loaded (or by
the core), every Goto label exists, and every context the daemon originates into is
defined.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from cpaas_daemon.ami.actions import ACTIONS
from cpaas_daemon.sim.dialplan import Dialplan
from tests.fixtures import ASTERISK

REPO = Path(__file__).resolve().parents[3]
DIALPLAN = REPO / "asterisk" / "extensions_cpaas.conf"

# Application -> the module that provides it ("core" = built into Asterisk 22).
PROVIDERS = {
    "NoOp": "core", "Set": "core", "Answer": "core", "Hangup": "core", "Wait": "core",
    "Goto": "core", "GotoIf": "core", "SayDigits": "core", "Dial": "app_dial.so",
    "MixMonitor": "app_mixmonitor.so", "Playback": "app_playback.so", "AGI": "res_agi.so",
    "Queue": "app_queue.so",
}  # fmt: skip
FUNCTIONS = {
    "CDR": "cdr", "CALLERID": "func_callerid.so", "IF": "func_logic.so",
    "LEN": "func_strings.so", "STRREPLACE": "func_strings.so",
}  # fmt: skip


def loaded_modules() -> set[str]:
    lines = (ASTERISK / "modules_loaded.txt").read_text().splitlines()[1:]
    return {line.split()[0] for line in lines if "Running" in line and "Not Running" not in line}


def test_every_application_and_function_is_available() -> None:
    plan = Dialplan.load([DIALPLAN], {})
    modules = loaded_modules()
    used_apps = {
        app for exts in plan.contexts.values() for e in exts for app, _ in e.steps.values()
    }
    assert used_apps <= set(PROVIDERS), used_apps - set(PROVIDERS)
    for app in used_apps:
        assert PROVIDERS[app] in modules | {"core"}, app
    text = DIALPLAN.read_text()
    for function in set(re.findall(r"([A-Z]+)\(", text)) - set(PROVIDERS):
        assert FUNCTIONS[function] in modules | {"cdr"}, function


def test_labels_and_contexts_exist() -> None:
    plan = Dialplan.load([DIALPLAN], {})
    for context in ("cpaas-click2call", "cpaas-otp", "cpaas-campaign", "cpaas-inbound",
                    "cpaas-transfer"):  # fmt: skip
        assert context in plan.contexts
    for exts in plan.contexts.values():
        for ext in exts:
            assert sorted(ext.steps) == list(range(1, len(ext.steps) + 1))
            for app, args in ext.steps.values():
                if app in ("Goto", "GotoIf"):
                    targets = re.findall(r"[?:]([a-z]+)\)?$|^([a-z]+)$", args)
                    for label in {t for pair in targets for t in pair if t}:
                        assert label in ext.labels, (app, args)


def test_agi_target_is_left_to_the_daemon() -> None:
    """The daemon sets CPAAS_AGI at login; a [globals] value would win at every
    ``dialplan reload`` and send AGI to a port the operator must keep in step by hand."""
    plan = Dialplan.load([DIALPLAN], {})
    assert "CPAAS_AGI" not in plan.globals


@pytest.mark.parametrize("name", ["manager.conf"])
def test_manager_conf_keeps_ami_on_loopback(name: str) -> None:
    parser = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",))
    parser.read_string((REPO / "asterisk" / name).read_text())
    assert parser["general"]["bindaddr"] == "127.0.0.1"
    write = {name.strip() for name in parser["cpaas"]["write"].split(",")}
    # Issue 10.7: only the classes of the actions the daemon sends. system is there for
    # one action: Asterisk 22 registers MixMonitor (modify_call's recording) under system
    # alone; command (shell commands, restarts) is never granted.
    assert write == {"originate", "call", "reporting", "system"}
    assert "cdr" in parser["cpaas"]["read"]


# The write classes Asterisk 22 registers each action with (`manager show command X`;
# tests/real_asterisk/test_manager_privileges.py checks this table against the real
# one): the user needs ANY one of them; an empty set needs none.
ACTION_CLASSES = {
    "Login": set(),
    "Ping": set(),
    "QueueStatus": set(),
    "Originate": {"originate"},
    "Hangup": {"system", "call"},
    "MixMonitor": {"system"},
    "BlindTransfer": {"call"},
    "Atxfer": {"call"},
    "Setvar": {"call"},
    "CoreShowChannels": {"system", "reporting"},
}


def test_every_action_the_daemon_sends_is_allowed_by_manager_conf() -> None:
    """Issue 10.7: write grants exactly what the daemon's actions need. A new action
    fails here until it is classified above (and manager.conf grants it). Every action is
    built in ``ami/actions.py`` (its ``ACTIONS`` registry); nothing else in the daemon may
    spell an ``"Action":`` header, or it would escape this check."""
    sources = [
        path
        for path in (REPO / "cpaas_daemon").rglob("*.py")
        if "sim" not in path.relative_to(REPO / "cpaas_daemon").parts
    ]
    spelled = {path.name for path in sources if re.search(r'"Action":\s*"', path.read_text())}
    assert spelled <= {"actions.py"}, spelled
    sent = set(ACTIONS)
    assert {"Originate", "Hangup", "CoreShowChannels"} <= sent
    assert sent <= ACTION_CLASSES.keys(), sent - ACTION_CLASSES.keys()
    parser = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",))
    parser.read_string((REPO / "asterisk" / "manager.conf").read_text())
    write = {name.strip() for name in parser["cpaas"]["write"].split(",")}
    needed = {action: ACTION_CLASSES[action] for action in sent}
    assert all(not classes or classes & write for classes in needed.values()), needed
