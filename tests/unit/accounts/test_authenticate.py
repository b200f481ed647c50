"""AccountRepository.authenticate against the store (SQLite, or PostgreSQL with
TEST_STORE=postgresql): the right secret only, and no store error for an impossible id."""

from __future__ import annotations

import pytest

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.store.db import Database


async def test_the_right_secret_authenticates_and_a_wrong_one_does_not(db: Database) -> None:
    accounts = AccountRepository(db)
    secret = await accounts.add("acme")
    account = await accounts.authenticate("acme", secret)
    assert account is not None
    assert account.account_id == "acme"
    assert await accounts.authenticate("acme", secret + "x") is None


@pytest.mark.parametrize("account_id", ["acme\x00", "acme\n", "", "a" * 65, "ac me"])
async def test_an_id_no_account_can_have_is_refused_without_a_store_error(
    db: Database, account_id: str
) -> None:
    """PostgreSQL refuses a NUL in text (a StoreUnavailable, a 503 to the client); such an
    id is simply not an account: None, which the API answers 401."""
    accounts = AccountRepository(db)
    secret = await accounts.add("acme")
    assert await accounts.authenticate(account_id, secret) is None
