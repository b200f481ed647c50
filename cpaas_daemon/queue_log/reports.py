"""The Asternic reports, computed from the materialised ``queue_calls`` table.

One row per (call, queue) is kept up to date at ingest, so no report reads the raw
queue_log. The grouped reports by queue, agent, event and holdtime read the whole UTC
days of their range from the daily rollup ``queue_calls_daily``, the whole hours of what
is left (the partial days at its edges, since a zone's midnight is rarely UTC's, or each
day's window of a time-of-day filter) from the hourly one ``queue_calls_hourly``, and
only the partial hours from ``queue_calls``, all in one statement; grouped by url or did,
they scan ``queue_calls`` over the range by its (status, enter_epoch, ...) index. Column
names are
Asternic's (seed 004); values are native types and the API renders them as strings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from cpaas_daemon.errors import NotFound
from cpaas_daemon.queue_log.calls import (
    DAY,
    HOLD_BUCKET_LAST,
    HOLD_BUCKETS,
    HOUR,
    HOURLY_DIMENSIONS,
)
from cpaas_daemon.queue_log.filters import ReportFilter
from cpaas_daemon.queue_log.localtime import DAY_FIRST, local
from cpaas_daemon.queue_log.paging import Page, PageRequest
from cpaas_daemon.store.db import Database, Row

CAUSES = {
    "COMPLETEAGENT": "Agent hung up",
    "COMPLETECALLER": "Caller hung up",
    "TRANSFER": "Transferred",
    "BLINDTRANSFER": "Transferred",
    "ATTENDEDTRANSFER": "Transferred",
    "CONNECT": "In progress",
}
_DETAIL_COLUMNS = (
    "callid, queue, agent, callerid, event, enter_epoch, end_epoch, wait, ring, talk, url, did,"
    " position, end_position"
)


# What each grouping reads in queue_calls_daily (None: not rolled up) and in queue_calls.
_ROLLUP_KEYS = {"queue": "queue", "agent": "agent", "event": "event", "bucket": "hold"}
# What each grouping reads in queue_calls_hourly: its dimension and the value as k.
_HOURLY_KEYS = {
    "queue": ("queue", "value"),
    "agent": ("agent", "value"),
    "event": ("event", "value"),
    "bucket": ("hold", "CAST(value AS INTEGER)"),
}
_DETAIL_KEYS = {
    "queue": "queue",
    "agent": "agent",
    "event": "event",
    # min(max((wait + 14) // 15, 1), HOLD_BUCKET_LAST), in SQL both stores run
    "bucket": f"CASE WHEN wait <= 15 THEN 1 WHEN wait > {(HOLD_BUCKET_LAST - 1) * 15}"
    f" THEN {HOLD_BUCKET_LAST} ELSE (wait + 14) / 15 END",
    "url": "url",
    "did": "did",
}


# SQLite allows 500 terms in a compound SELECT; past this many day windows (over a year
# and a half), a time-of-day filter is one scan of the range instead; past MAX_PARTS
# terms once split into hours (up to three per window), the windows are read from
# queue_calls whole.
MAX_WINDOWS = 400
MAX_PARTS = 480


def split_days(flt: ReportFilter) -> tuple[ReportFilter | None, list[ReportFilter]]:
    """The whole UTC days of ``flt`` (None if it has none) and the partial days before and
    after them; with a time-of-day filter, no whole days but one part per day window, so
    each is an index range of the calls inside it (a third of a day for 9-17h)."""
    if flt.seconds is not None:
        windows = flt.day_windows()
        if len(windows) > MAX_WINDOWS:
            return None, [flt]
        return None, [replace(flt, start=lo, end=hi, seconds=None) for lo, hi in windows]
    first = -(-flt.start // DAY) * DAY
    last = flt.end // DAY * DAY
    if first >= last:
        return None, [flt]
    edges = []
    if flt.start < first:
        edges.append(replace(flt, end=first))
    if last < flt.end:
        edges.append(replace(flt, start=last))
    return replace(flt, start=first, end=last), edges


def split_hours(edges: list[ReportFilter]) -> tuple[list[ReportFilter], list[ReportFilter]]:
    """The whole UTC hours of each part :func:`split_days` left to ``queue_calls`` (one
    range per part that has any) and what is left of them: the partial hours (a window
    edge at 09:30 or at a half-hour zone's midnight, a range starting at 14:13, the last
    second of an inclusive 09:00-17:00). A part with a time-of-day clause of its own (more
    windows than :data:`MAX_WINDOWS`) is left whole."""
    hours: list[ReportFilter] = []
    rest: list[ReportFilter] = []
    for edge in edges:
        first = -(-edge.start // HOUR) * HOUR
        last = edge.end // HOUR * HOUR
        if edge.seconds is not None or first >= last:
            rest.append(edge)
            continue
        hours.append(replace(edge, start=first, end=last))
        if edge.start < first:
            rest.append(replace(edge, end=first))
        if last < edge.end:
            rest.append(replace(edge, start=last))
    return hours, rest


def hourly_where(status: str, key: str, flt: ReportFilter) -> tuple[str, list[object]] | None:
    """The conditions on ``queue_calls_hourly`` for ``flt`` grouped by ``key``, or None if
    the hourly rollup cannot answer it: it keeps one grouping per row, so a queue filter
    (or a stats user's queue scope) only applies to the grouping by queue, and an agent
    filter only to the grouping by agent."""
    if key not in _HOURLY_KEYS:
        return None
    dimension = _HOURLY_KEYS[key][0]
    if dimension not in HOURLY_DIMENSIONS.get(status, ()):
        return None
    clauses = ["status = ? AND dimension = ? AND hour >= ? AND hour < ?"]
    params: list[object] = [status, dimension, flt.start, flt.end]
    for column, values in (("queue", flt.visible_queues()), ("agent", flt.agents or None)):
        if values is None:
            continue
        if key != column:
            return None
        clauses.append(f"value IN ({', '.join('?' * len(values))})" if values else "1 = 0")
        params.extend(values)
    return " AND ".join(clauses), params


def callflow_link(callid: str) -> str:
    return f"/stats/rest/index.php?entity=call/{callid}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}" if whole else "0.00"


class Reports:
    """``run(name, filter, page)`` for each name in :data:`NAMES`."""

    def __init__(self, db: Database, tz: ZoneInfo | None = None) -> None:
        self._db = db
        self._tz = tz or ZoneInfo("UTC")
        self._reports: dict[str, Callable[[ReportFilter, PageRequest], Awaitable[Page]]] = {
            "answered_calls_detail": self._answered_detail,
            "answered_calls_by_queue": self._share("answered", "queue", "Queue", "Received"),
            "answered_calls_by_agent": self._by_agent,
            "answered_calls_by_url": self._share("answered", "url", "URL", "Received"),
            "answered_calls_by_did": self._share("answered", "did", "DID", "Received"),
            "answered_calls_by_holdtime": self._by_holdtime,
            "answered_calls_by_event": self._by_event,
            "unanswered_calls_detail": self._unanswered_detail,
            "unanswered_calls_by_queue": self._share("unanswered", "queue", "Queue", "Unanswered"),
        }

    @property
    def names(self) -> list[str]:
        return list(self._reports)

    async def run(self, name: str, flt: ReportFilter, page: PageRequest) -> Page:
        report = self._reports.get(name)
        if report is None:
            raise NotFound(f"no such report: {name}")
        return await report(flt, page)

    def _share(
        self, status: str, column: str, label: str, count_label: str
    ) -> Callable[[ReportFilter, PageRequest], Awaitable[Page]]:
        """Calls grouped by one column, with each group's share of the total."""

        async def report(flt: ReportFilter, page: PageRequest) -> Page:
            rows = await self._grouped(status, column, flt)
            total = sum(row["n"] for row in rows)
            result = [
                {label: row["k"], count_label: row["n"], "% Calls": percent(row["n"], total)}
                for row in rows
            ]
            return Page.slice(page, result)

        return report

    async def _grouped(self, status: str, key: str, flt: ReportFilter) -> list[Row]:
        """(k, n, talk, wait) of ``status`` calls per ``key``, ordered by k; no empty group."""
        days, edges = split_days(flt) if key in _ROLLUP_KEYS else (None, [flt])
        parts: list[str] = []
        params: list[object] = []
        if days is not None:
            where, extra = days.where("day")
            parts.append(
                f"SELECT {_ROLLUP_KEYS[key]} AS k, SUM(calls) AS n, SUM(talk) AS talk,"
                f" SUM(wait) AS wait FROM queue_calls_daily WHERE status = ? AND {where}"
                " GROUP BY k"
            )
            params += [status, *extra]
        hours, rest = split_hours(edges) if hourly_where(status, key, flt) else ([], edges)
        if len(parts) + len(hours) + len(rest) > MAX_PARTS:
            hours, rest = [], edges
        for hour in hours:
            found = hourly_where(status, key, hour)
            assert found is not None
            where, extra = found
            parts.append(
                f"SELECT {_HOURLY_KEYS[key][1]} AS k, SUM(calls) AS n, SUM(talk) AS talk,"
                f" SUM(wait) AS wait FROM queue_calls_hourly WHERE {where} GROUP BY k"
            )
            params += extra
        edges = rest
        # SQLite would read a queue-grouped range through queue_calls_queue_time (queue,
        # enter_epoch) to spare the GROUP BY its sort, then fetch every call of every
        # status from the table: 2x slower than the covering (status, enter_epoch, ...)
        # index (answered_calls_by_queue over 30 days of 10M lines: p50 36 ms; by agent,
        # which takes the covering index, 18 ms). PostgreSQL's planner needs no hint.
        hint = "INDEXED BY queue_calls_report " if self._db.dialect == "sqlite" else ""
        for edge in edges:
            where, extra = edge.where()
            parts.append(
                f"SELECT {_DETAIL_KEYS[key]} AS k, COUNT(*) AS n, SUM(talk) AS talk,"
                f" SUM(wait) AS wait FROM queue_calls {hint}WHERE status = ? AND {where}"
                " GROUP BY k"
            )
            params += [status, *extra]
        if not parts:  # a time-of-day window that no instant of the range falls in
            return []
        if len(parts) == 1 and len(edges) == 1:  # one read of queue_calls alone
            sql = f"{parts[0]} ORDER BY k"
        else:
            sql = (
                "SELECT k, SUM(n) AS n, SUM(talk) AS talk, SUM(wait) AS wait"
                f" FROM ({' UNION ALL '.join(parts)}) AS parts"
                " GROUP BY k HAVING SUM(n) > 0 ORDER BY k"
            )
        return await self._db.fetchall(sql, params)

    async def _by_agent(self, flt: ReportFilter, page: PageRequest) -> Page:
        rows = await self._grouped("answered", "agent", flt)
        calls = sum(row["n"] for row in rows)
        talk = sum(row["talk"] for row in rows)
        result = [
            {
                "Agent": row["k"],
                "Calls": row["n"],
                "% Calls": percent(row["n"], calls),
                "Call Time": row["talk"],
                "% Call Time": percent(row["talk"], talk),
                "Avg Call Time": round(row["talk"] / row["n"]),
                "Hold Time": row["wait"],
                "Avg Hold Time": round(row["wait"] / row["n"]),
            }
            for row in rows
        ]
        return Page.slice(page, result)

    async def _by_holdtime(self, flt: ReportFilter, page: PageRequest) -> Page:
        """Service level: calls answered within 15, 30 ... 90 s (cumulative), then the rest."""
        rows = await self._grouped("answered", "bucket", flt)
        counts = {row["k"]: row["n"] for row in rows}
        total = sum(counts.values())
        labels = [f"{limit} secs" for limit in HOLD_BUCKETS] + [f"+{HOLD_BUCKETS[-1]} secs"]
        result, cumulative = [], 0
        for bucket, label in enumerate(labels, start=1):
            delta = counts.get(bucket, 0)
            cumulative += delta
            result.append(
                {
                    "Answer": label,
                    "Count": cumulative,
                    "Delta": delta,
                    "% Calls": percent(cumulative, total),
                }
            )
        return Page.slice(page, result)

    async def _by_event(self, flt: ReportFilter, page: PageRequest) -> Page:
        rows = await self._grouped("answered", "event", flt)
        total = sum(row["n"] for row in rows)
        result = [
            {
                "Event": row["k"],
                "Cause": CAUSES.get(row["k"], row["k"]),
                "Count": row["n"],
                "% Calls": percent(row["n"], total),
            }
            for row in rows
        ]
        return Page.slice(page, result)

    async def _detail(
        self, status: str, flt: ReportFilter, page: PageRequest
    ) -> tuple[int, list[Row]]:
        where, params = flt.where()
        records = await self._db.fetchval(
            f"SELECT COUNT(*) FROM queue_calls WHERE status = ? AND {where}", [status, *params]
        )
        rows = await self._db.fetchall(
            f"SELECT {_DETAIL_COLUMNS} FROM queue_calls WHERE status = ? AND {where}"
            " ORDER BY enter_epoch, callid LIMIT ? OFFSET ?",
            [status, *params, page.rows, page.offset],
        )
        return records, rows

    async def _answered_detail(self, flt: ReportFilter, page: PageRequest) -> Page:
        records, rows = await self._detail("answered", flt, page)
        result = [
            {
                "datetime": local(row["enter_epoch"] + row["wait"], self._tz, DAY_FIRST),
                "queue": row["queue"],
                "agent": row["agent"],
                "callerid": row["callerid"],
                "event": row["event"],
                "waitTime": row["wait"],
                "ringTime": row["ring"],
                "callTime": row["talk"],
                "agentName": row["agent"],
                "queueName": row["queue"],
                "recording": "",
                "uniqueid": row["callid"],
                "callflow": callflow_link(row["callid"]),
                "url": row["url"],
                "did": row["did"],
            }
            for row in rows
        ]
        return Page.of(page, records, result)

    async def _unanswered_detail(self, flt: ReportFilter, page: PageRequest) -> Page:
        records, rows = await self._detail("unanswered", flt, page)
        result = [
            {
                "datetime": local(row["end_epoch"], self._tz, DAY_FIRST),
                "queue": row["queue"],
                "callerid": row["callerid"],
                "event": row["event"],
                "waitTime": row["wait"],
                "startPosition": row["position"] or "",
                "endPosition": row["end_position"] or "",
                "queueName": row["queue"],
                "uniqueid": row["callid"],
                "callflow": callflow_link(row["callid"]),
                "url": row["url"],
                "did": row["did"],
            }
            for row in rows
        ]
        return Page.of(page, records, result)
