from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database holding accounts ``acme`` and ``globex``."""
    database = Database(tmp_path / "cpaas.sqlite3")
    await database.open()
    accounts = AccountRepository(database)
    for account_id in ("acme", "globex"):
        await accounts.add(account_id)
    yield database
    await database.close()
