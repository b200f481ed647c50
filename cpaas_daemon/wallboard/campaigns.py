"""Campaign status and progress for the wallboard: the campaigns domain's read model.

The wallboard only needs counts, so it reads ``campaign_progress``, the view the
campaigns domain publishes (migration 0650: one row per campaign with its contacts
counted by state), rather than loading whole campaigns or their tables.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import iso, utc_now

RECENT = timedelta(hours=24)

# Unfinished campaigns first, then those that ended recently (most recent first).
_PROGRESS = (
    "SELECT campaign_id, account_id, campaign_name, status, total, done, dialing, answered"
    " FROM campaign_progress"
    " WHERE status IN ('scheduled', 'running') OR finished_at >= ?"
    " ORDER BY status NOT IN ('scheduled', 'running'), finished_at DESC, start_at"
)


class CampaignProgress:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def current(self) -> list[dict[str, Any]]:
        """Scheduled and running campaigns plus those finished in the last 24 hours."""
        rows = await self._db.fetchall(_PROGRESS, (iso(utc_now() - RECENT),))
        return [
            {
                "id": row["campaign_id"],
                "account": row["account_id"],
                "name": row["campaign_name"],
                "status": row["status"],
                "total": row["total"],
                "done": row["done"],
                "dialing": row["dialing"],
                "answered": row["answered"],
            }
            for row in rows
        ]
