"""Time conversions in one place: we store UTC ISO-8601, clients speak IANA zones.

Wall-clock input in a zone is ambiguous twice a year: a time inside a DST gap does not
exist and is refused; a time inside a fold happens twice and is taken as its FIRST
occurrence (``fold=0``), which is what a person scheduling "01:30" on that night means
before the clocks go back.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cpaas_daemon.errors import ValidationFailed

WALL_FORMAT = "%Y-%m-%d %H:%M:%S"


def zone(name: object, field: str = "time_zone") -> ZoneInfo:
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ValidationFailed(f"{field} must be an IANA time zone such as Asia/Kolkata")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"{field} {name!r} is not a known IANA time zone") from None


def wall_to_utc(value: object, tz: ZoneInfo, field: str) -> datetime:
    """``"2023-08-15 12:55:00"`` in ``tz`` -> aware UTC datetime; DST gaps are errors."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string in format YYYY-mm-dd hh:mm:ss")
    try:
        naive = datetime.strptime(value.strip(), WALL_FORMAT)
    except ValueError:
        raise ValidationFailed(f"{field} must be in format YYYY-mm-dd hh:mm:ss") from None
    local = naive.replace(tzinfo=tz, fold=0)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationFailed(
            f"{field} {value} does not exist in {tz.key}: the clocks skip it (DST change)"
        )
    return utc


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Stored form: UTC, millisecond ISO-8601 with Z (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def pbx_local_to_iso(text: str, tz: ZoneInfo) -> str | None:
    """A CDR time (``2026-11-22 16:01:46``, PBX local, no zone) -> stored UTC ISO."""
    if not text:
        return None
    return iso(datetime.strptime(text, WALL_FORMAT).replace(tzinfo=tz))


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(stored: str | None) -> str | None:
    """Stored ISO (always UTC, see :func:`iso`) -> the seed's ``Fri, 07 Jul 2023 06:08:09 GMT``.

    Sliced rather than parsed, the day's part cached: a CDR page formats three of these
    per row, a thousand rows at a time.
    """
    if not stored:
        return None
    return f"{_http_day(stored[:10])} {stored[11:19]} GMT"


@functools.lru_cache(maxsize=1024)
def _http_day(day: str) -> str:
    """``2023-07-07`` -> ``Fri, 07 Jul 2023``."""
    year, month, date_of_month = int(day[0:4]), int(day[5:7]), int(day[8:10])
    weekday = _WEEKDAYS[date(year, month, date_of_month).weekday()]
    return f"{weekday}, {day[8:10]} {_MONTHS[month - 1]} {day[0:4]}"
