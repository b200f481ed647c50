"""The one Asterisk vocabulary (ami/actions.py): each action knows whether its answer is
a list, and nothing unsafe reaches the wire, whichever action carries it."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from cpaas_daemon.ami import actions
from cpaas_daemon.ami.actions import ACTIONS, AmiAction, UnsafeValue
from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.calls.placement import NotSent, Refused, Uncertain
from cpaas_daemon.errors import DomainError
from cpaas_daemon.store.errors import StoreUnavailable


def _originate(**change: str) -> AmiAction:
    values = {
        "dial": "PJSIP/0612345678@trunk",
        "context": "cpaas-click2call",
        "exten": "0698765432",
        "caller_id": "0511111111",
        "account": "acct-1",
        "channel_id": "1700000000.91",
        "other_channel_id": "1700000000.92",
    } | change
    return actions.originate(timeout_ms=30000, variables={"CPAAS_RECORD": "off"}, **values)


EVERY_BUILDER: list[Callable[[], AmiAction]] = [
    lambda: actions.login("cpaas", "secret"),
    actions.ping,
    _originate,
    lambda: actions.blind_transfer("PJSIP/101-0000023c", "cpaas-transfer", "102"),
    lambda: actions.atxfer("Local/101@agents-0001;1", "cpaas-transfer", "102"),
    lambda: actions.hangup("PJSIP/101-0000023c"),
    lambda: actions.mix_monitor("PJSIP/101-0000023c", "/var/spool/rec/x.wav"),
    lambda: actions.set_global("CPAAS_AGI", "agi://127.0.0.1:4573"),
    lambda: actions.set_var("PJSIP/101-0000023c", "CPAAS_X", "1"),
    actions.core_show_channels,
    actions.queue_status,
]


@pytest.mark.parametrize("build", EVERY_BUILDER)
def test_every_action_is_registered_with_its_list_flag(build: Callable[[], AmiAction]) -> None:
    action = build()
    assert action.as_list is ACTIONS[action.name]
    assert next(iter(action.fields().items())) == ("Action", action.name)


def test_the_builders_cover_the_registry() -> None:
    assert {build().name for build in EVERY_BUILDER} == set(ACTIONS)
    assert {name for name, as_list in ACTIONS.items() if as_list} == {
        "CoreShowChannels",
        "QueueStatus",
    }


@pytest.mark.parametrize(
    "build",
    [
        lambda: _originate(dial="PJSIP/123&PJSIP/999"),  # a second channel
        lambda: _originate(caller_id="x\r\nAction: Hangup"),  # a second action
        lambda: _originate(exten="1,n,Hangup"),
        lambda: actions.hangup("PJSIP/101\r\nChannel: PJSIP/999"),
        lambda: actions.atxfer("PJSIP/101-1", "cpaas-transfer", "102&PJSIP/9"),
        lambda: actions.set_global("CPAAS_AGI", "agi://x\r\nAction: Originate"),
        lambda: actions.mix_monitor("PJSIP/101-1", "/tmp/x.wav\nOptions: r"),
    ],
)
def test_an_unsafe_value_is_refused_before_anything_is_sent(
    build: Callable[[], AmiAction],
) -> None:
    with pytest.raises(UnsafeValue):
        build()


def test_originate_leaves_an_empty_caller_id_to_the_trunk() -> None:
    assert "CallerID" not in _originate(caller_id="").headers
    assert _originate().headers["Async"] == "true"


def test_outcomes_are_siblings_not_api_errors() -> None:
    """No ``except`` clause can catch one outcome while meaning another."""
    for family in ([AmiRefused, AmiUnavailable], [Refused, NotSent, Uncertain]):
        for one, other in itertools.permutations(family, 2):
            assert not issubclass(one, other)
    for domain in (AmiRefused, AmiUnavailable, Refused, NotSent, Uncertain, StoreUnavailable):
        assert not issubclass(domain, DomainError)
