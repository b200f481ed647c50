"""The Asternic reports, computed from the materialised ``queue_calls`` table.

One row per (call, queue) is kept up to date at ingest, so every report is a single
indexed scan of ``queue_calls`` over the date range (status, enter_epoch, queue), never
a pass over the raw queue_log. Column names are Asternic's (seed 004); values are
native types and the API renders them as strings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from cpaas_daemon.errors import NotFound
from cpaas_daemon.queue_log.filters import ReportFilter
from cpaas_daemon.queue_log.localtime import DAY_FIRST, local
from cpaas_daemon.queue_log.paging import Page, PageRequest
from cpaas_daemon.store.db import Database

HOLD_BUCKETS = (15, 30, 45, 60, 75, 90)
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
            where, params = flt.where()
            rows = await self._db.fetchall(
                f"SELECT {column} AS k, COUNT(*) AS n FROM queue_calls"
                f" WHERE status = ? AND {where} GROUP BY k ORDER BY k",
                [status, *params],
            )
            total = sum(row["n"] for row in rows)
            result = [
                {label: row["k"], count_label: row["n"], "% Calls": percent(row["n"], total)}
                for row in rows
            ]
            return Page.slice(page, result)

        return report

    async def _by_agent(self, flt: ReportFilter, page: PageRequest) -> Page:
        where, params = flt.where()
        rows = await self._db.fetchall(
            "SELECT agent, COUNT(*) AS n, SUM(talk) AS talk, SUM(wait) AS wait FROM queue_calls"
            f" WHERE status = 'answered' AND {where} GROUP BY agent ORDER BY agent",
            params,
        )
        calls = sum(row["n"] for row in rows)
        talk = sum(row["talk"] for row in rows)
        result = [
            {
                "Agent": row["agent"],
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
        where, params = flt.where()
        last = len(HOLD_BUCKETS) + 1
        rows = await self._db.fetchall(
            f"SELECT MIN(MAX((wait + 14) / 15, 1), {last}) AS bucket, COUNT(*) AS n"
            f" FROM queue_calls WHERE status = 'answered' AND {where} GROUP BY bucket",
            params,
        )
        counts = {row["bucket"]: row["n"] for row in rows}
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
        where, params = flt.where()
        rows = await self._db.fetchall(
            "SELECT event, COUNT(*) AS n FROM queue_calls"
            f" WHERE status = 'answered' AND {where} GROUP BY event ORDER BY event",
            params,
        )
        total = sum(row["n"] for row in rows)
        result = [
            {
                "Event": row["event"],
                "Cause": CAUSES.get(row["event"], row["event"]),
                "Count": row["n"],
                "% Calls": percent(row["n"], total),
            }
            for row in rows
        ]
        return Page.slice(page, result)

    async def _detail(self, status: str, flt: ReportFilter, page: PageRequest) -> tuple[int, list]:
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
