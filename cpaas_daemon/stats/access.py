"""Who is asking: the v2 APIs' ``userId`` + ``token`` are our account id + auth secret.

Seed 001 tells a suspended account (1039) apart from a bad token (1014), which
:meth:`AccountRepository.authenticate` does not (it answers None for both), so this asks
:meth:`AccountRepository.check`, which does.
"""

from __future__ import annotations

from cpaas_daemon.accounts.repository import AccountRepository, Credentials
from cpaas_daemon.stats.errors import AccountSuspended, InvalidToken, TokenMissing, UserIdMissing


class StatsAccess:
    def __init__(self, accounts: AccountRepository) -> None:
        self._accounts = accounts

    async def account(self, user_id: str, token: str) -> str:
        """The account id, or the error that explains why not (in the seed's order)."""
        if not user_id:
            raise UserIdMissing("userId is required")
        if not token:
            raise TokenMissing("token is required")
        credentials = await self._accounts.check(user_id, token)
        if credentials is Credentials.INVALID:
            raise InvalidToken("invalid userId or token")
        if credentials is Credentials.SUSPENDED:
            raise AccountSuspended("this account is suspended")
        return user_id
