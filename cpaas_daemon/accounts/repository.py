"""Accounts table access, and the secret hashing that keeps only a digest on disk.

Secrets are API keys, not passwords a person picks: generated ones carry 128 bits of
entropy and supplied ones must be at least 12 characters, so a salted SHA-256 resists
offline guessing while costing microseconds on every request (scrypt would cap the API
at a few hundred requests a second on this hardware).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import Enum

from cpaas_daemon.errors import Conflict, NotFound, ValidationFailed
from cpaas_daemon.store.db import Database

ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MIN_SECRET_LENGTH = 12


class Credentials(Enum):
    """What a presented account id and secret amount to."""

    VALID = "valid"
    INVALID = "invalid"  # no such account, or the wrong secret (not told apart)
    SUSPENDED = "suspended"  # the right secret of a disabled account


@dataclass(frozen=True)
class Account:
    account_id: str
    disabled: bool


def hash_secret(secret: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def possible_account_id(account_id: str) -> bool:
    """Whether an account could have this id. Others are not looked up: no row has them,
    and PostgreSQL refuses some text outright (a NUL), which would answer 503, not 401."""
    return ACCOUNT_ID.fullmatch(account_id) is not None


def verify_secret(secret: str, stored: str | None) -> bool:
    """Constant-time check. ``stored`` None (no such account) does the same hashing
    against a dummy digest and fails, so timing cannot tell which account ids exist."""
    try:
        _, salt, _ = (stored or _DUMMY_HASH).split("$", 2)
    except ValueError:
        return False
    return hmac.compare_digest(hash_secret(secret, salt), stored or "") and stored is not None


_DUMMY_HASH = hash_secret(secrets.token_urlsafe(24))


class AccountRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, account_id: str, secret: str | None = None) -> str:
        """Create an account; returns the secret (generated when not given)."""
        if not ACCOUNT_ID.match(account_id):
            raise ValidationFailed("account id must be 1-64 of A-Z a-z 0-9 _ . -")
        if secret is None:
            secret = secrets.token_urlsafe(24)
        elif len(secret) < MIN_SECRET_LENGTH:
            raise ValidationFailed(f"auth secret must be at least {MIN_SECRET_LENGTH} characters")
        if await self._db.fetchone("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)):
            raise Conflict(f"account {account_id} already exists")
        await self._db.execute(
            "INSERT INTO accounts (account_id, auth_hash) VALUES (?, ?)",
            (account_id, hash_secret(secret)),
        )
        return secret

    async def authenticate(self, account_id: str, secret: str) -> Account | None:
        """The account, if the secret is its own and it is not suspended."""
        if await self.check(account_id, secret) is not Credentials.VALID:
            return None
        return Account(account_id=account_id, disabled=False)

    async def check(self, account_id: str, secret: str) -> Credentials:
        """Whether ``secret`` is this account's; a suspended account is told apart only
        once its secret is right (the v2 dialects answer it with its own code)."""
        row = None
        if possible_account_id(account_id):
            row = await self._db.fetchone(
                "SELECT auth_hash, disabled FROM accounts WHERE account_id = ?", (account_id,)
            )
        # Hash even for an unknown id (verify_secret's dummy): timing tells no ids apart.
        valid = verify_secret(secret, row["auth_hash"] if row is not None else None)
        if row is None or not valid:
            return Credentials.INVALID
        return Credentials.SUSPENDED if row["disabled"] else Credentials.VALID

    async def limits(self, account_id: str) -> tuple[float | None, int | None]:
        """(calls_per_second, max_concurrent_calls); None = the configured default."""
        row = await self._db.fetchone(
            "SELECT calls_per_second, max_concurrent_calls FROM accounts WHERE account_id = ?",
            (account_id,),
        )
        return (None, None) if row is None else (row[0], row[1])

    async def set_limits(
        self, account_id: str, calls_per_second: float | None, max_concurrent_calls: int | None
    ) -> None:
        """Store an account's own limits (None keeps the configured default)."""
        if calls_per_second is not None and not calls_per_second > 0:
            raise ValidationFailed("--cps must be more than 0")
        if max_concurrent_calls is not None and max_concurrent_calls < 1:
            raise ValidationFailed("--concurrent must be at least 1")
        exists = "SELECT 1 FROM accounts WHERE account_id = ?"
        if not await self._db.fetchone(exists, (account_id,)):
            raise NotFound(f"account {account_id} does not exist")
        await self._db.execute(
            "UPDATE accounts SET calls_per_second = ?, max_concurrent_calls = ?"
            " WHERE account_id = ?",
            (calls_per_second, max_concurrent_calls, account_id),
        )

    async def list_ids(self) -> list[str]:
        rows = await self._db.fetchall("SELECT account_id FROM accounts ORDER BY account_id")
        return [row[0] for row in rows]
