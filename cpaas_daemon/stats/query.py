"""What a counters request asks for: the ``filter`` and ``Field`` arrays, validated.

The seed only says ``filter`` is an "Array of filter conditions (e.g., date ranges, call
types)"; docs/counters.md defines the element shape parsed here. Wrong JSON types are
:class:`InvalidType` (1001), well-typed but unusable values :class:`InvalidParameter` (1000).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.stats.codes import FIELDS, TYPE_CODES, kinds_of
from cpaas_daemon.stats.errors import InvalidParameter, InvalidType
from cpaas_daemon.stats.window import MAX_DAYS, Window


@dataclass(frozen=True)
class CounterQuery:
    window: Window
    kinds: frozenset[CallKind] | None = None  # None: every kind
    campaigns: frozenset[str] | None = None  # None: campaign calls and the rest alike
    fields: tuple[str, ...] = ()


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidType(f"{where} must be an array of strings")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"{where} must be a string")
    return value


def _day(value: object, where: str) -> date:
    try:
        return date.fromisoformat(_string(value, where))
    except ValueError:
        raise InvalidParameter(f"{where} must be a date YYYY-MM-DD") from None


def _zone(value: object, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(_string(value, where))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameter(f"{where} is not a known IANA time zone") from None


def _codes(value: object, where: str, known: frozenset[str]) -> frozenset[str]:
    codes = frozenset(_strings(value, where))
    if not codes or not codes <= known:
        raise InvalidParameter(f"{where} must hold some of {', '.join(sorted(known))}")
    return codes


def _campaigns(value: object, where: str) -> frozenset[str]:
    ids = frozenset(_strings(value, where))
    if not ids:
        raise InvalidParameter(f"{where} must not be empty")
    return ids


_PARSERS: dict[str, Callable[[Mapping[str, Any], str], Any]] = {
    "dateRange": lambda item, at: (
        _day(item.get("start"), f"{at}.start"),
        _day(item.get("end", item.get("start")), f"{at}.end"),
    ),
    "timezone": lambda item, at: _zone(item.get("value"), f"{at}.value"),
    "callType": lambda item, at: kinds_of(_codes(item.get("value"), f"{at}.value", TYPE_CODES)),
    "campaignId": lambda item, at: _campaigns(item.get("value"), f"{at}.value"),
}


def _conditions(raw: object) -> dict[str, Any]:
    """``[{"type": ..., ...}, ...]`` -> {type: parsed value}; each type at most once."""
    found: dict[str, Any] = {}
    for index, item in enumerate(_list(raw, "filter")):
        at = f"filter[{index}]"
        if not isinstance(item, dict):
            raise InvalidType(f"{at} must be an object")
        kind = _string(item.get("type"), f"{at}.type")
        if kind not in _PARSERS:
            raise InvalidParameter(f"{at}.type must be one of {', '.join(_PARSERS)}")
        if kind in found:
            raise InvalidParameter(f"{at}: filter type {kind} given twice")
        found[kind] = _PARSERS[kind](item, at)
    return found


def _list(raw: object, name: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidType(f"{name} must be an array")
    return raw


def _fields(raw: object) -> tuple[str, ...]:
    names = _strings(_list(raw, "Field"), "Field")
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        raise InvalidParameter(f"unknown Field {unknown[0]!r}")
    return tuple(dict.fromkeys(names))


def parse_query(
    filters: object, fields: object, default_tz: ZoneInfo, now: datetime | None = None
) -> CounterQuery:
    """The request's query; without a dateRange the window is today in the zone."""
    conditions = _conditions(filters)
    tz = conditions.get("timezone", default_tz)
    if "dateRange" in conditions:
        first, last = conditions["dateRange"]
        if last < first:
            raise InvalidParameter("filter dateRange: end is before start")
        if (last - first).days >= MAX_DAYS:
            raise InvalidParameter(f"filter dateRange: at most {MAX_DAYS} days")
        window = Window.days(first, last, tz)
    else:
        window = Window.today(tz, now)
    return CounterQuery(
        window=window,
        kinds=conditions.get("callType"),
        campaigns=conditions.get("campaignId"),
        fields=_fields(fields),
    )
