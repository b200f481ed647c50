"""get_cdr_by_date's pages: the account's calls with a CDR in the date range, by call_date
then id, each exactly once across pages, however deep the offset (the page's ids are
chosen on an index before the rows are read; cdr/queries.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cpaas_daemon.cdr.queries import CdrQueries
from tests.store_rig import store_at


async def test_pages_hold_the_accounts_cdrs_in_order_each_once(tmp_path: Path) -> None:
    db = store_at(tmp_path / "cdr.sqlite3")
    await db.open()
    try:
        await db.executemany(
            "INSERT INTO accounts (account_id, auth_hash) VALUES (?, 'x')", [("a",), ("b",)]
        )
        rows = []
        for n in range(60):
            # Three calls per stamp (ties broken by id), days 1-20 of November; every 7th
            # call has no CDR yet, every 5th is the other account's.
            stamp = f"2026-11-{1 + n // 3:02d}T10:00:00.000Z"
            cdr_at = None if n % 7 == 3 else stamp
            account = "b" if n % 5 == 4 else "a"
            rows.append((f"r{n:03d}", account, stamp, stamp, cdr_at))
        # Inserted out of order, so ids are not in call_date order.
        rows = rows[1::2] + rows[::2]
        await db.executemany(
            "INSERT INTO calls (request_id, account_id, kind, direction, state, created_at,"
            " call_date, cdr_at) VALUES (?, ?, 'c2c', 'outbound', 'completed', ?, ?, ?)",
            rows,
        )
        ids = {row["request_id"]: row["id"] for row in await db.fetchall("SELECT * FROM calls")}
        expected = sorted(
            (row[2], ids[row[0]], row[0])
            for row in rows
            if row[1] == "a" and row[4] is not None and "2026-11-03" <= row[2] < "2026-11-19"
        )
        queries = CdrQueries(db)
        first, last = date(2026, 11, 3), date(2026, 11, 18)
        paged = []
        for offset in range(0, len(expected) + 4, 4):
            page = await queries.by_date("a", first, last, 4, offset)
            paged += [row["request_id"] for row in page]
        assert paged == [request_id for _, _, request_id in expected]
        assert await queries.by_date("a", first, last, 4, len(expected)) == []
    finally:
        await db.close()
