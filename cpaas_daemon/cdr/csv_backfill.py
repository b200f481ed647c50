"""Recover CDRs from Asterisk's Master.csv that the AMI link never delivered.

AMI does not replay events: a Cdr emitted while the daemon was stopped (or the link was
down) is gone from AMI, but cdr_csv wrote the same record to Master.csv. This follows
that file from a persisted offset and stores each row through :class:`CdrIngest` in the
shape of a Cdr event. A row the AMI already delivered has the same leg digest and is ignored,
so nothing is stored twice. A file that shrank or was replaced is read from the start
(again without duplicates). Each PBX has its own file and read position: its rows are
stored as that PBX's, in one transaction with the position they were read up to.
"""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import structlog

from cpaas_daemon.ami.bus import PBX_KEY
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.store.db import Database
from cpaas_daemon.tasks import cancel, every

log = structlog.get_logger(__name__)

# Master.csv column order (cdr_csv), named as the Cdr event names them.
CSV_COLUMNS = (
    "AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel",
    "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime", "EndTime",
    "Duration", "BillableSeconds", "Disposition", "AMAFlags", "UniqueID", "UserField",
)  # fmt: skip
MAX_READ = 4 << 20


def parse_rows(text: str) -> list[dict[str, str]]:
    """Complete CSV lines -> Cdr-event-shaped dicts; malformed lines are skipped."""
    rows = []
    for fields in csv.reader(io.StringIO(text)):
        if len(fields) == len(CSV_COLUMNS):
            rows.append(dict(zip(CSV_COLUMNS, fields, strict=True)))
        elif fields:
            log.warning("cdr_csv.bad_line", fields=len(fields))
    return rows


class CdrCsvBackfill:
    def __init__(
        self,
        path: Path,
        db: Database,
        ingest: CdrIngest,
        interval: float,
        pbx_id: str = DEFAULT_PBX_ID,
    ) -> None:
        self._path = path
        self._pbx_id = pbx_id
        self._db = db
        self._ingest = ingest
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._polling = asyncio.Lock()  # the reader's own polls and :meth:`caught_up`

    async def start(self) -> None:
        """Catch up before returning, so callbacks and campaigns reconcile with these CDRs."""
        recovered = await self.poll()
        log.info("cdr_csv.caught_up", pbx=self._pbx_id, path=str(self._path), rows=recovered)
        self._task = asyncio.create_task(self._run(), name=f"cdr-csv-backfill-{self._pbx_id}")

    async def stop(self) -> None:
        await cancel(self._task)

    async def _run(self) -> None:
        await every(self._interval, self.poll, "cdr_csv.poll_failed", path=str(self._path))

    def _read(self, offset: int) -> bytes:
        with self._path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(MAX_READ)

    async def caught_up(self) -> bool:
        """Read the file to its end now. True when it was read: every record Asterisk had
        written to it by now is stored. False when it cannot be read (missing: not
        mounted on this node, or not written by this PBX; or unreadable)."""
        try:
            while await self.poll():
                pass
            return await asyncio.to_thread(self._path.is_file)
        except OSError:
            log.warning("cdr_csv.unreadable", pbx=self._pbx_id, path=str(self._path))
            return False

    async def poll(self) -> int:
        """Read what was appended since last time; returns the rows handed to ingest."""
        async with self._polling:
            return await self._poll()

    async def _poll(self) -> int:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return 0
        state = await self._db.fetchone(
            'SELECT inode, "offset" FROM cdr_csv_positions WHERE pbx_id = ? AND path = ?',
            (self._pbx_id, str(self._path)),
        )
        offset = state["offset"] if state is not None else 0
        if state is not None and (state["inode"] != stat.st_ino or stat.st_size < offset):
            log.info("cdr_csv.reset", path=str(self._path))  # replaced or truncated
            offset = 0
        if stat.st_size == offset:
            return 0
        chunk = await asyncio.to_thread(self._read, offset)
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a half-written last line waits
        if not complete:
            return 0
        rows = parse_rows(complete.decode("utf-8", "replace"))
        for row in rows:
            row[PBX_KEY] = self._pbx_id
        # The rows and the offset after them commit together: no re-read, no skip.
        await self._ingest.store(
            rows,
            (
                'INSERT INTO cdr_csv_positions (pbx_id, path, inode, "offset")'
                " VALUES (?, ?, ?, ?) ON CONFLICT (pbx_id, path) DO UPDATE SET"
                ' inode = excluded.inode, "offset" = excluded."offset"',
                (self._pbx_id, str(self._path), stat.st_ino, offset + len(complete)),
            ),
        )
        return len(rows)
