from __future__ import annotations

import pytest

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.store.db import Database


@pytest.fixture
async def db(db: Database) -> Database:
    """The root store, holding accounts ``acme`` and ``globex``."""
    accounts = AccountRepository(db)
    for account_id in ("acme", "globex"):
        await accounts.add(account_id)
    return db
