"""Text the two stores disagree on: a NUL character. SQLite stores it; PostgreSQL cannot
store it at all, and says so as the client's bad value (ValidationFailed, a 400), never
as StoreUnavailable (a 503 that tells the client to try the same thing again)."""

from __future__ import annotations

import pytest

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.store.db import Database
from tests.store_rig import ON_POSTGRES

INSERT = "INSERT INTO accounts (account_id, auth_hash) VALUES (?, ?)"


async def test_a_nul_in_text_is_stored_by_sqlite_and_a_bad_value_for_postgresql(
    db: Database,
) -> None:
    if ON_POSTGRES:
        with pytest.raises(ValidationFailed, match="NUL"):
            await db.execute(INSERT, ("a\x00b", "x"))
        assert await db.fetchval("SELECT COUNT(*) FROM accounts") == 0
    else:
        await db.execute(INSERT, ("a\x00b", "x"))
        assert await db.fetchval("SELECT account_id FROM accounts") == "a\x00b"
