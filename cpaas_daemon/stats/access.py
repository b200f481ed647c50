"""Who is asking: the v2 APIs' ``userId`` + ``token`` are our account id + auth secret.

Seed 001 tells a suspended account (1039) apart from a bad token (1014), which
:meth:`AccountRepository.authenticate` does not (it answers None for both), so the
account row is read here; the secret check itself is the accounts module's.
"""

from __future__ import annotations

from cpaas_daemon.accounts.repository import possible_account_id, verify_secret
from cpaas_daemon.stats.errors import AccountSuspended, InvalidToken, TokenMissing, UserIdMissing
from cpaas_daemon.store.db import Database


class StatsAccess:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def account(self, user_id: str, token: str) -> str:
        """The account id, or the error that explains why not (in the seed's order)."""
        if not user_id:
            raise UserIdMissing("userId is required")
        if not token:
            raise TokenMissing("token is required")
        row = None
        if possible_account_id(user_id):
            row = await self._db.fetchone(
                "SELECT auth_hash, disabled FROM accounts WHERE account_id = ?", (user_id,)
            )
        valid = verify_secret(token, row["auth_hash"] if row is not None else None)
        if row is None or not valid:
            raise InvalidToken("invalid userId or token")
        if row["disabled"]:
            raise AccountSuspended("this account is suspended")
        return user_id
