"""Delete recordings older than ``dial.recordings_retention_days`` and say so in the CDR.

A sweep runs at start-up and then every ``dial.recordings_sweep_interval`` seconds. It
takes the calls whose recording still exists and that were created before the cutoff
(the partial index of migration 0110), skips any call still live, deletes every file of
each call in one scan of the directory, then sets ``recording_deleted_at``. Files first,
then the row: a crash in between leaves the row unmarked and the next sweep marks it
(deleting nothing twice). A call's files are all those named ``<request_id>.*`` or
``<request_id>-*`` (both sides, one side, or started by modify_call), so a recording that
a later modify_call replaced in ``recording_name`` goes too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.config import DialConfig
from cpaas_daemon.store.db import Database
from cpaas_daemon.tasks import cancel, every
from cpaas_daemon.timefmt import iso, utc_now

log = structlog.get_logger(__name__)

BATCH = 5000  # calls per directory scan: a steady-state sweep is one scan
REQUEST_ID_LENGTH = 10


def delete_files(directory: Path, request_ids: set[str]) -> int:
    """Delete every regular file of these requests in ``directory``; returns how many.

    One ``scandir`` for the whole batch, not one glob per call: a directory of years of
    recordings holds millions of files.
    """
    deleted = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in entries:
        stem, separator = (
            entry.name[:REQUEST_ID_LENGTH],
            entry.name[REQUEST_ID_LENGTH : REQUEST_ID_LENGTH + 1],
        )
        if stem in request_ids and separator in {".", "-"} and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                deleted += 1
    return deleted


class RecordingRetention:
    def __init__(self, db: Database, tracker: CallTracker, dial: DialConfig) -> None:
        self._db = db
        self._calls = CallRepository(db)
        self._tracker = tracker
        self._directory = dial.recordings_dir
        self._days = dial.recordings_retention_days
        self._interval = dial.recordings_sweep_interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._days > 0:
            self._task = asyncio.create_task(self._run(), name="recording-retention")

    async def stop(self) -> None:
        await cancel(self._task)

    async def _run(self) -> None:
        await every(self._interval, self.sweep, "recordings.sweep_failed", at_once=True)

    async def sweep(self, now: datetime | None = None) -> int:
        """Delete the recordings of calls created before the cutoff; returns the calls."""
        moment = now or utc_now()
        cutoff = iso(moment - timedelta(days=self._days))
        swept = 0
        while True:
            rows = await self._db.fetchall(
                "SELECT request_id FROM call_records WHERE recording_name != ''"
                " AND recording_deleted_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?",
                (cutoff, BATCH),
            )
            live = self._tracker.live_requests()
            expired = {row["request_id"] for row in rows} - live
            if expired:
                files = await asyncio.to_thread(delete_files, self._directory, expired)
                await self._calls.mark_recordings_deleted(sorted(expired), iso(moment))
                swept += len(expired)
                log.info("recordings.deleted", calls=len(expired), files=files, before=cutoff)
            if len(rows) < BATCH or not expired:
                return swept
