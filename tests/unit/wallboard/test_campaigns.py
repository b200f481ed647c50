"""The campaigns panel's query: progress counts, which campaigns, and a store without them."""

from __future__ import annotations

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.store.db import Database
from cpaas_daemon.wallboard.campaigns import CampaignProgress

_CAMPAIGN = (
    "INSERT INTO campaigns (campaign_id, account_id, campaign_name, list_id, campaign_type,"
    " caller_id, dynamic_announcement, repeat_count, max_retries, retry_time,"
    " retry_on_statuses, calls_per_minute, max_concurrent_calls, time_zone, start_at, end_at,"
    " status, finished_at) VALUES (?, 'acme', ?, 'LS0000000001', 0, '100', 0, 1, 0, 60,"
    " 'BUSY', 10, 2, 'UTC', '2026-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z', ?, ?)"
)


async def test_progress_counts_targets_of_live_and_recent_campaigns(db: Database) -> None:
    await AccountRepository(db).add("acme", "acme-secret-123456")
    await db.execute(
        "INSERT INTO campaign_lists (list_id, account_id, list_name)"
        " VALUES ('LS0000000001', 'acme', 'leads')"
    )
    await db.executemany(
        "INSERT INTO campaign_contacts (contact_id, list_id, contact_number, batch_id)"
        " VALUES (?, 'LS0000000001', ?, 'b')",
        [(n, f"55500{n}") for n in range(1, 5)],
    )
    await db.executemany(
        _CAMPAIGN,
        [
            ("CM0000000001", "spring", "running", None),
            ("CM0000000002", "winter", "completed", "2020-01-01T00:00:00.000Z"),
        ],
    )
    await db.executemany(
        "INSERT INTO campaign_targets (campaign_id, contact_id, state, answered)"
        " VALUES ('CM0000000001', ?, ?, ?)",
        [(1, "done", 1), (2, "done", 0), (3, "dialing", 0), (4, "pending", 0)],
    )

    rows = await CampaignProgress(db).current()

    assert rows == [
        {
            "id": "CM0000000001",
            "account": "acme",
            "name": "spring",
            "status": "running",
            "total": 4,
            "done": 2,
            "dialing": 1,
            "answered": 1,
        }
    ]  # "winter" finished long ago
