"""The time rules shared by the API and the dialer: future-only, DST, grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cpaas_daemon.callbacks.model import CallbackSpec, Verdict, resolve_due, verdict
from cpaas_daemon.errors import ValidationFailed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(seconds=300)


def spec(scheduled_at: str, time_zone: str = "Asia/Kolkata") -> CallbackSpec:
    return CallbackSpec(
        "919979270010", "15168148111", "918000680020", "on", time_zone, scheduled_at
    )


def test_wall_time_in_kolkata_becomes_utc() -> None:
    assert resolve_due(spec("2026-03-01 18:00:00"), NOW) == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def test_past_time_is_refused_with_the_zone_local_now() -> None:
    with pytest.raises(ValidationFailed, match=r"future \(it is now 2026-03-01 17:30:00 in Asia"):
        resolve_due(spec("2026-03-01 17:29:59"), NOW)


def test_dst_gap_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="does not exist in America/New_York"):
        resolve_due(spec("2026-03-08 02:30:00", "America/New_York"), NOW)


def test_fold_is_the_first_occurrence() -> None:
    due = resolve_due(spec("2026-11-01 01:30:00", "America/New_York"), NOW)
    assert due == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # EDT, before the clocks go back


def test_recording_on_records_both_sides() -> None:
    assert spec("2026-03-02 10:00:00").two_party_call().recording_option == "both"


@pytest.mark.parametrize(
    ("late_by", "expected"),
    [
        (timedelta(seconds=-1), Verdict.WAIT),
        (timedelta(0), Verdict.DIAL),
        (GRACE, Verdict.DIAL),
        (GRACE + timedelta(milliseconds=1), Verdict.MISS),
    ],
)
def test_lateness_within_grace_dials_beyond_it_misses(
    late_by: timedelta, expected: Verdict
) -> None:
    assert verdict(NOW, NOW + late_by, GRACE) is expected
