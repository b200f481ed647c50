"""The ``campaigns`` table. Creating a campaign also copies its list's contacts into
``campaign_targets`` in the same transaction: the campaign dials the list as it was at
create time, so contacts added later cannot change a running campaign's totals."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from cpaas_daemon.campaigns.model import (
    CAMPAIGN_PREFIX,
    Campaign,
    CampaignSettings,
    StoredStatus,
    new_id,
)
from cpaas_daemon.campaigns.targets import TargetStore
from cpaas_daemon.errors import Conflict, NotFound
from cpaas_daemon.store.db import Database, Row
from cpaas_daemon.timefmt import iso, parse_iso, utc_now

_SETTINGS = tuple(field.name for field in fields(CampaignSettings))


def _settings_row(settings: CampaignSettings) -> dict[str, Any]:
    """The ``campaigns`` columns of the settings: times as ISO text, statuses comma-joined."""
    return {name: getattr(settings, name) for name in _SETTINGS} | {
        "retry_on_statuses": ",".join(settings.retry_on_statuses),
        "start_at": iso(settings.start_at),
        "end_at": iso(settings.end_at),
    }


def campaign_from_row(row: Row) -> Campaign:
    """The inverse of :func:`_settings_row`, plus the dialer's own columns."""
    values = {field.name: row[field.name] for field in fields(Campaign)}
    return Campaign(
        **values
        | {
            "dynamic_announcement": bool(values["dynamic_announcement"]),
            "retry_on_statuses": tuple(filter(None, values["retry_on_statuses"].split(","))),
            "start_at": parse_iso(values["start_at"]),
            "end_at": parse_iso(values["end_at"]),
            "status": StoredStatus(values["status"]),
        }
    )


class CampaignRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, account_id: str, settings: CampaignSettings) -> str:
        campaign_id = new_id(CAMPAIGN_PREFIX)
        row = _settings_row(settings) | {"campaign_id": campaign_id, "account_id": account_id}
        async with self._db.transaction() as conn:
            inserted = await conn.execute(
                f"INSERT INTO campaigns (status, {', '.join(row)})"
                f" VALUES ('scheduled', {', '.join(':' + name for name in row)})"
                " ON CONFLICT DO NOTHING",
                row,
            )
            if inserted == 0:
                raise Conflict(f"campaign_name {settings.campaign_name} already exists")
            await TargetStore.enrol(conn, campaign_id, settings.list_id)
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

    async def status(self, campaign_id: str) -> StoredStatus:
        """As stored now: another daemon on the same store may have changed it."""
        value = await self._db.fetchval(
            "SELECT status FROM campaigns WHERE campaign_id = ?", (campaign_id,)
        )
        return StoredStatus(value)

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
