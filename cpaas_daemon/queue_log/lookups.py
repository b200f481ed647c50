"""The non-report entities: queues, agents, one call's flow, and call search.

Every query takes the user's :class:`Scope`, so a user limited to ``sales`` never sees
a ``support`` queue, its agents, its calls or its events, not even as a 404 that
differs from an unknown id.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cpaas_daemon.errors import NotFound
from cpaas_daemon.queue_log.filters import ReportFilter, Scope
from cpaas_daemon.queue_log.localtime import local
from cpaas_daemon.queue_log.paging import Document, Page, PageRequest
from cpaas_daemon.queue_log.reports import callflow_link
from cpaas_daemon.store.db import Database

ALL_ID = -1  # Asternic's pseudo entry "ALL" in both lists


def _queue_clause(scope: Scope, column: str = "queue") -> tuple[str, list[object]]:
    if scope.queues is None:
        return "1", []
    names = sorted(scope.queues)
    return f"{column} IN ({', '.join('?' * len(names))})", list(names)


class Lookups:
    def __init__(self, db: Database, tz: ZoneInfo | None = None) -> None:
        self._db = db
        self._tz = tz or ZoneInfo("UTC")

    async def queues(self, scope: Scope, queue_id: int | None = None) -> list[Document]:
        """Queues seen in queue_log (plus ALL), sorted by name as Asternic lists them."""
        clause, params = _queue_clause(scope, "name")
        rows = [
            (row[0], row[1])
            for row in await self._db.fetchall(
                f"SELECT queue_id, name FROM queue_names WHERE {clause}", params
            )
        ]
        rows.append((ALL_ID, "ALL"))
        found = [
            {"queue_id": ident, "queue": name, "queue_name": name}
            for ident, name in sorted(rows, key=lambda item: item[1])
            if queue_id is None or ident == queue_id
        ]
        if queue_id is not None and not found:
            raise NotFound(f"no such queue: {queue_id}")
        return found

    async def agents(self, scope: Scope, agent_id: int | None = None) -> list[Document]:
        """Agents (member names) seen in queue_log, limited to the user's queues."""
        clause, params = _queue_clause(scope, "q.name")
        rows = [
            (row[0], row[1])
            for row in await self._db.fetchall(
                "SELECT DISTINCT a.agent_id, a.name FROM agent_names a"
                " JOIN agent_queues aq ON aq.agent_id = a.agent_id"
                f" JOIN queue_names q ON q.queue_id = aq.queue_id WHERE {clause}",
                params,
            )
        ]
        rows.append((ALL_ID, "ALL"))
        found = [
            {"agent_id": ident, "agent": name, "agent_name": name}
            for ident, name in sorted(rows, key=lambda item: item[1])
            if agent_id is None or ident == agent_id
        ]
        if agent_id is not None and not found:
            raise NotFound(f"no such agent: {agent_id}")
        return found

    async def callflow(self, callid: str, scope: Scope, page: PageRequest) -> Page:
        """Every queue_log line of one call, in file order (Asternic's ``call`` entity)."""
        clause, params = _queue_clause(scope)
        where = f"callid = ? AND {clause}"
        records = await self._db.fetchval(
            f"SELECT COUNT(*) FROM queue_log WHERE {where}", [callid, *params]
        )
        rows = await self._db.fetchall(
            "SELECT epoch, queue, agent, event, data1, data2, data3, data4, data5"
            f" FROM queue_log WHERE {where} ORDER BY epoch, id LIMIT ? OFFSET ?",
            [callid, *params, page.rows, page.offset],
        )
        result = [
            {
                "id": page.offset + index,
                "uniqueid": callid,
                "datetime": local(row["epoch"], self._tz),
                "queue": row["queue"],
                "agent": row["agent"],
                "event": row["event"],
                **{f"info{n}": row[f"data{n}"] for n in range(1, 6)},
                "agentName": row["agent"],
                "queueName": row["queue"],
            }
            for index, row in enumerate(rows, start=1)
        ]
        return Page.of(page, records, result)

    async def search(self, flt: ReportFilter, page: PageRequest) -> Page:
        """Queue calls of every outcome matching the filter (Asternic's ``search``)."""
        where, params = flt.where()
        where = f"status != 'pending' AND {where}"
        records = await self._db.fetchval(f"SELECT COUNT(*) FROM queue_calls WHERE {where}", params)
        # The other queues this call visited, within the user's scope only.
        visits, visit_params = _queue_clause(flt.scope, "o.queue")
        others = f"FROM queue_calls o WHERE o.callid = c.callid AND {visits}"
        rows = await self._db.fetchall(
            f"SELECT c.*, (SELECT COUNT(*) {others}) AS overflow,"
            f" (SELECT SUM(o.wait) {others}) AS combined FROM queue_calls c WHERE {where}"
            " ORDER BY enter_epoch, callid LIMIT ? OFFSET ?",
            [*visit_params, *visit_params, *params, page.rows, page.offset],
        )
        result = [
            {
                "firstEvent": "ENTERQUEUE",
                "overflow": row["overflow"],
                "uniqueid": row["callid"],
                "callerid": row["callerid"],
                "dateStart": local(row["enter_epoch"], self._tz),
                "dateEnd": local(row["end_epoch"], self._tz),
                "event": row["event"],
                "agent": row["agent"],
                "queue": row["queue"],
                "waitTime": row["wait"],
                "talkTime": row["talk"],
                "combinedWaitTime": row["combined"],
                "totalDuration": (row["end_epoch"] or row["enter_epoch"]) - row["enter_epoch"],
                "recordingFilename": "",
                "agent_name": row["agent"],
                "queue_name": row["queue"],
                "callflow": callflow_link(row["callid"]),
            }
            for row in rows
        ]
        return Page.of(page, records, result)
