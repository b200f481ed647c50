"""The ``campaigns`` table. Creating a campaign also copies its list's contacts into
``campaign_targets`` in the same transaction: the campaign dials the list as it was at
create time, so contacts added later cannot change a running campaign's totals."""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass
from datetime import datetime

from cpaas_daemon.campaigns.model import (
    CAMPAIGN_PREFIX,
    Campaign,
    StoredStatus,
    new_id,
)
from cpaas_daemon.errors import Conflict, NotFound
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import iso, parse_iso, utc_now


@dataclass(frozen=True)
class CampaignSettings:
    """A validated create_campaign body; field order is the INSERT's column order."""

    campaign_name: str
    list_id: str
    dnd_list_id: str | None
    campaign_type: int
    caller_id: str
    dynamic_announcement: bool
    recorded_filename: str
    announcement_text: str
    tts_options: str
    repeat_count: int
    max_retries: int
    retry_time: int
    retry_on_statuses: tuple[str, ...]
    calls_per_minute: int
    max_concurrent_calls: int
    time_zone: str
    start_at: datetime
    end_at: datetime


_COLUMNS = (
    "campaign_name, list_id, dnd_list_id, campaign_type, caller_id, dynamic_announcement,"
    " recorded_filename, announcement_text, tts_options, repeat_count, max_retries, retry_time,"
    " retry_on_statuses, calls_per_minute, max_concurrent_calls, time_zone, start_at, end_at"
)


def campaign_from_row(row: sqlite3.Row) -> Campaign:
    return Campaign(
        campaign_id=row["campaign_id"],
        account_id=row["account_id"],
        campaign_name=row["campaign_name"],
        list_id=row["list_id"],
        dnd_list_id=row["dnd_list_id"],
        campaign_type=row["campaign_type"],
        caller_id=row["caller_id"],
        dynamic_announcement=bool(row["dynamic_announcement"]),
        recorded_filename=row["recorded_filename"],
        announcement_text=row["announcement_text"],
        tts_options=row["tts_options"],
        repeat_count=row["repeat_count"],
        max_retries=row["max_retries"],
        retry_time=row["retry_time"],
        retry_on_statuses=tuple(filter(None, row["retry_on_statuses"].split(","))),
        calls_per_minute=row["calls_per_minute"],
        max_concurrent_calls=row["max_concurrent_calls"],
        time_zone=row["time_zone"],
        start_at=parse_iso(row["start_at"]),
        end_at=parse_iso(row["end_at"]),
        status=StoredStatus(row["status"]),
    )


class CampaignRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, account_id: str, settings: CampaignSettings) -> str:
        campaign_id = new_id(CAMPAIGN_PREFIX)
        values = (
            *astuple(settings)[:12],
            ",".join(settings.retry_on_statuses),
            settings.calls_per_minute,
            settings.max_concurrent_calls,
            settings.time_zone,
            iso(settings.start_at),
            iso(settings.end_at),
        )
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"INSERT INTO campaigns (campaign_id, account_id, status, {_COLUMNS})"
                f" VALUES (?, ?, 'scheduled', {', '.join('?' * len(values))})"
                " ON CONFLICT DO NOTHING",
                (campaign_id, account_id, *values),
            )
            if cursor.rowcount == 0:
                raise Conflict(f"campaign_name {settings.campaign_name} already exists")
            await conn.execute(
                "INSERT INTO campaign_targets (campaign_id, contact_id, state)"
                " SELECT ?, contact_id, 'pending' FROM campaign_contacts WHERE list_id = ?",
                (campaign_id, settings.list_id),
            )
        return campaign_id

    async def get(self, account_id: str, campaign_id: str) -> Campaign:
        row = await self._db.fetchone(
            "SELECT * FROM campaigns WHERE account_id = ? AND campaign_id = ?",
            (account_id, campaign_id),
        )
        if row is None:
            raise NotFound(f"campaign_id {campaign_id} not found")
        return campaign_from_row(row)

    async def of_account(self, account_id: str) -> list[Campaign]:
        rows = await self._db.fetchall(
            "SELECT * FROM campaigns WHERE account_id = ? ORDER BY created_at, campaign_id",
            (account_id,),
        )
        return [campaign_from_row(row) for row in rows]

    async def unfinished(self) -> list[Campaign]:
        rows = await self._db.fetchall(
            "SELECT * FROM campaigns WHERE status IN ('scheduled', 'running') ORDER BY start_at"
        )
        return [campaign_from_row(row) for row in rows]

    async def set_status(self, campaign_id: str, status: StoredStatus) -> None:
        """Move forward only: a stopped or completed campaign never runs again."""
        finished = (
            iso(utc_now()) if status in (StoredStatus.COMPLETED, StoredStatus.STOPPED) else None
        )
        await self._db.execute(
            "UPDATE campaigns SET status = ?, finished_at = COALESCE(finished_at, ?)"
            " WHERE campaign_id = ? AND status IN ('scheduled', 'running')",
            (status.value, finished, campaign_id),
        )
