"""Epochs (UTC, as queue_log writes them) shown in the reporting zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DAY_FIRST = "%d-%m-%Y %H:%M:%S"  # Asternic's answered_calls_detail "datetime"
ISO = "%Y-%m-%d %H:%M:%S"  # Asternic's call and search entities


def local(epoch: int | None, tz: ZoneInfo, pattern: str = ISO) -> str:
    return "" if epoch is None else datetime.fromtimestamp(epoch, tz).strftime(pattern)
