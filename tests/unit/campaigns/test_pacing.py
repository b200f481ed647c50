"""Pacer: calls on an even grid, lateness absorbed, stalls re-anchor without bursts."""

from __future__ import annotations

import itertools
import random

import pytest

from cpaas_daemon.campaigns.pacing import Pacer


def drive(pacer: Pacer, lateness: list[float]) -> list[float]:
    """Start one call per entry, each ``lateness`` seconds after it was due."""
    now, starts = 0.0, []
    for late in lateness:
        now = max(now, now + pacer.delay(now)) + late
        pacer.take(now)
        starts.append(now)
    return starts


def test_on_time_calls_sit_exactly_on_the_grid() -> None:
    starts = drive(Pacer(600), [0.0] * 10)
    assert starts == pytest.approx([k * 0.1 for k in range(10)])


def test_small_lateness_does_not_accumulate_into_a_slower_rate() -> None:
    """Each call 10 ms late: the grid still gives 600/min over the run."""
    starts = drive(Pacer(600), [0.0] + [0.01] * 100)
    assert starts[-1] - starts[0] == pytest.approx(100 * 0.1 + 0.01, abs=0.011)


def test_a_stall_re_anchors_instead_of_bursting() -> None:
    pacer = Pacer(60)
    pacer.take(0.0)
    pacer.take(10.0)  # due at 1.0: a 9 s stall
    assert pacer.delay(10.0) == pytest.approx(1.0)  # the next call is a full interval later


def test_calls_are_never_closer_than_half_an_interval() -> None:
    rng = random.Random(7)
    starts = drive(Pacer(300), [rng.choice([0.0, 0.0, 0.05, 0.3, 2.0]) for _ in range(500)])
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.1 - 1e-9


def test_calls_per_minute_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Pacer(0)
