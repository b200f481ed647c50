"""Wall-clock input in IANA zones: DST gaps refused, folds resolved to the first time."""

from datetime import UTC, datetime, timedelta

import pytest

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.timefmt import http_date, iso, pbx_local_to_iso, wall_to_utc, zone


def test_kolkata_has_no_dst() -> None:
    moment = wall_to_utc("2023-08-15 12:55:00", zone("Asia/Kolkata"), "scheduled_at")
    assert moment == datetime(2023, 8, 15, 7, 25, tzinfo=UTC)


def test_gap_is_refused_with_a_clear_message() -> None:
    # 2026-03-08 02:30 does not exist in New York: clocks jump 02:00 -> 03:00.
    with pytest.raises(ValidationFailed, match="does not exist in America/New_York"):
        wall_to_utc("2026-03-08 02:30:00", zone("America/New_York"), "scheduled_at")


def test_fold_takes_the_first_occurrence() -> None:
    # 2026-11-01 01:30 happens twice in New York; the first is still EDT (UTC-4).
    moment = wall_to_utc("2026-11-01 01:30:00", zone("America/New_York"), "scheduled_at")
    assert moment == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", 5])
def test_unknown_zone(name: object) -> None:
    with pytest.raises(ValidationFailed, match="time_zone"):
        zone(name)


@pytest.mark.parametrize("text", ["2023-08-15", "15-08-2023 12:00:00", "2023-02-30 10:00:00"])
def test_bad_wall_time_format(text: str) -> None:
    with pytest.raises(ValidationFailed, match="YYYY-mm-dd hh:mm:ss"):
        wall_to_utc(text, zone("UTC"), "scheduled_at")


def test_cdr_time_from_pbx_zone_is_stored_in_utc() -> None:
    assert pbx_local_to_iso("2026-11-22 16:01:46", zone("Asia/Kolkata")) == (
        "2026-11-22T10:31:46.000Z"
    )
    assert pbx_local_to_iso("", zone("UTC")) is None


def test_seed_http_date() -> None:
    assert http_date(iso(datetime(2023, 7, 7, 6, 8, 9, tzinfo=UTC))) == (
        "Fri, 07 Jul 2023 06:08:09 GMT"
    )


def test_seed_http_date_over_a_leap_year_and_every_weekday() -> None:
    start = datetime(2024, 2, 26, 23, 59, 59, tzinfo=UTC)
    for day in range(9):
        moment = start + timedelta(days=day)
        assert http_date(iso(moment)) == moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
