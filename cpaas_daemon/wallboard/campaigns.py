"""Campaign status and progress for the wallboard, read straight from the campaigns tables.

The wallboard only needs counts, so it asks SQL for them rather than loading whole
campaigns through the campaigns repository. The tables belong to another domain and may
be absent from a store (a build without the campaigns migration), so the panel degrades
to "not available" instead of failing the whole board.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cpaas_daemon.store.db import Database
from cpaas_daemon.store.dialect import count_where
from cpaas_daemon.timefmt import iso, utc_now

RECENT = timedelta(hours=24)

_TABLES = ("campaigns", "campaign_targets")

# Unfinished campaigns first, then those that ended recently (most recent first).
_PROGRESS = (
    "SELECT c.campaign_id, c.account_id, c.campaign_name, c.status,"
    " COUNT(t.contact_id) AS total,"
    f" COALESCE({count_where('t.state = ' + repr('done'))}, 0) AS done,"
    f" COALESCE({count_where('t.state = ' + repr('dialing'))}, 0) AS dialing,"
    " COALESCE(SUM(t.answered), 0) AS answered"
    " FROM campaigns AS c LEFT JOIN campaign_targets AS t ON t.campaign_id = c.campaign_id"
    " WHERE c.status IN ('scheduled', 'running') OR c.finished_at >= ?"
    " GROUP BY c.campaign_id"
    " ORDER BY c.status NOT IN ('scheduled', 'running'), c.finished_at DESC, c.start_at"
)


class CampaignProgress:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._tables_seen = False

    async def _installed(self) -> bool:
        """Tables never disappear once migrated, so a positive answer is remembered."""
        if not self._tables_seen:
            self._tables_seen = set(_TABLES) <= await self._db.tables()
        return self._tables_seen

    async def current(self) -> list[dict[str, Any]] | None:
        """Scheduled and running campaigns plus those finished in the last 24 hours;
        None when this store has no campaigns tables."""
        if not await self._installed():
            return None
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
