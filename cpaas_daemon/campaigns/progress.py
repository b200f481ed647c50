"""Per-campaign, per-import-batch progress counts (the iSales statistics interface).

Counts are per contact (iSales "outbound call data"), not per call attempt:

* totalCount: contacts in the campaign; unCallCount: not dialled yet and not finished;
* totalCalledCount: dialled at least once; totalCallSucc: answered at least once;
* totalFinishCount: finished (answered, retries used up, DND, UNKNOWN, NOT_DIALED);
* daily*: the same restricted to "today" in the campaign's time zone (last dial or
  finish today); dailyCount = dailyCalledCount + unCallCount (today's work, done or not);
* calledCount / finishCount: the vendor's table describes them exactly like
  dailyCalledCount / dailyFinishCount, so they carry the same values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cpaas_daemon.campaigns.model import Campaign
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import iso, utc_now

_COUNTS = (
    "totalCount",
    "unCallCount",
    "totalCalledCount",
    "totalCallSucc",
    "totalFinishCount",
    "dailyCalledCount",
    "dailyCallSucc",
    "dailyFinishCount",
)


def today(zone: str, now: datetime | None = None) -> tuple[str, str]:
    """[start, end) of the current day in ``zone``, as stored UTC text."""
    local = (now or utc_now()).astimezone(ZoneInfo(zone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Aware-datetime arithmetic is wall-clock: this is the next local midnight even when
    # the day is 23 or 25 hours long; iso() then applies that instant's own UTC offset.
    return iso(start), iso(start + timedelta(days=1))


def _finish(counts: dict[str, int]) -> dict[str, int]:
    counts["dailyCount"] = counts["dailyCalledCount"] + counts["unCallCount"]
    counts["calledCount"] = counts["dailyCalledCount"]
    counts["finishCount"] = counts["dailyFinishCount"]
    return counts


class CampaignProgress:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_batch(self, campaign: Campaign, batch_id: str | None) -> list[dict[str, Any]]:
        start, end = today(campaign.time_zone)
        rows = await self._db.fetchall(
            # COUNT(*) FILTER, not SUM(condition): a condition on a NULL time (a target
            # never dialled or not finished) is NULL, and SUM over only NULLs is NULL.
            "SELECT c.batch_id, COUNT(*),"
            " COUNT(*) FILTER (WHERE t.attempts = 0 AND t.state != 'done'),"
            " COUNT(*) FILTER (WHERE t.attempts > 0),"
            " COUNT(*) FILTER (WHERE t.answered != 0), COUNT(*) FILTER (WHERE t.state = 'done'),"
            " COUNT(*) FILTER (WHERE t.last_dialed_at >= :start AND t.last_dialed_at < :end),"
            " COUNT(*) FILTER (WHERE t.answered != 0"
            " AND t.finished_at >= :start AND t.finished_at < :end),"
            " COUNT(*) FILTER (WHERE t.state = 'done'"
            " AND t.finished_at >= :start AND t.finished_at < :end)"
            " FROM campaign_targets t JOIN campaign_contacts c USING (contact_id)"
            " WHERE t.campaign_id = :campaign"
            " AND (CAST(:batch AS TEXT) IS NULL OR c.batch_id = :batch)"
            " GROUP BY c.batch_id ORDER BY MIN(c.contact_id)",
            {"start": start, "end": end, "campaign": campaign.campaign_id, "batch": batch_id},
        )
        return [
            {"batchId": row[0], **_finish(dict(zip(_COUNTS, tuple(row)[1:], strict=True)))}
            for row in rows
        ]

    async def campaign_detail(self, campaign: Campaign, batch_id: str | None) -> dict[str, Any]:
        """The seed's countDetail entry: campaign totals plus one entry per batch."""
        batches = await self.by_batch(campaign, batch_id)
        totals = {key: sum(batch[key] for batch in batches) for key in _COUNTS}
        return {"campaignId": campaign.campaign_id, **_finish(totals), "batchDetail": batches}
