"""iSales "current day" boundaries follow the campaign's zone, DST days included."""

from __future__ import annotations

from datetime import UTC, datetime

from cpaas_daemon.campaigns.progress import today


def test_day_in_kolkata() -> None:
    now = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 01:30 on 2 March in Kolkata
    assert today("Asia/Kolkata", now) == ("2026-03-01T18:30:00.000Z", "2026-03-02T18:30:00.000Z")


def test_a_dst_day_is_23_hours_long() -> None:
    now = datetime(2026, 3, 8, 18, 0, tzinfo=UTC)  # US clocks spring forward that morning
    assert today("US/Eastern", now) == ("2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z")
